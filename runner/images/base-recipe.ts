/**
 * What the base image is made of. The tag `sluice/python:<hash>` is derived from this recipe, so
 * the image is rebuilt exactly when the recipe changes: bump `revision` whenever the build code
 * in base-image.ts changes in a way the text below does not capture.
 */
import { createHash } from "node:crypto";

export const BASE_IMAGE_REPO = "sluice/python";

export const UV_VERSION = "0.9.30";

export const BASE_IMAGE_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

export const baseImageRecipe = {
  revision: 1,
  debootstrap: { suite: "trixie", variant: "minbase", packages: ["python3", "python3-venv", "ca-certificates"] },
  uvVersion: UV_VERSION,
  steps: [
    "debootstrap --variant=<variant> --include=<packages> <suite> <rootfs> <host's Debian mirror>",
    "pip download uv==<uvVersion> (host pip configuration); copy uv and uvx from the wheel to /usr/local/bin",
    "remove /var/cache/apt/archives/*.deb and /var/lib/apt/lists/*",
    "mkdir /workspace /opt/sluice",
    "tar --numeric-owner -C <rootfs> -c . | docker import with the changes below",
  ],
  changes: [
    `ENV PATH=${BASE_IMAGE_PATH}`,
    "ENV LANG=C.UTF-8",
    "ENV UV_PYTHON_DOWNLOADS=never",
    "WORKDIR /workspace",
    'CMD ["python3"]',
  ],
} as const;

export type BaseImageRecipe = typeof baseImageRecipe;

export function recipeHash(recipe: unknown): string {
  return createHash("sha256").update(JSON.stringify(recipe)).digest("hex").slice(0, 12);
}

export function baseImageTag(recipe: unknown = baseImageRecipe): string {
  return `${BASE_IMAGE_REPO}:${recipeHash(recipe)}`;
}
