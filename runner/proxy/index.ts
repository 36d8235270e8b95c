export { findFreePort, waitForHttp } from "./free-port.js";
export { createReverseProxy, parseProxyPath, proxyBasePath } from "./reverse-proxy.js";
export type { ProxyRoute, ReverseProxy, ServiceRouter, ServiceTarget } from "./reverse-proxy.js";
export { createInteractiveServices } from "./interactive-services.js";
export type { InteractiveServices, InteractiveServicesOptions, StartedService } from "./interactive-services.js";
export { createInteractiveStarter, serviceIdleTimeoutMs, serviceRunArgs } from "./interactive-starter.js";
export type { InteractiveStarterOptions, ServicePort } from "./interactive-starter.js";
