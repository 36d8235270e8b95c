// @jsxRuntime automatic
// @jsxImportSource react
/** Colour on or off (`NO_COLOR`); every coloured thing also carries a symbol or a word. */
import { createContext, useContext } from "react";
import { Text } from "ink";
import type { ReactNode } from "react";

export const ColorContext = createContext(true);

/** Text in `color` when colours are on, plain otherwise. */
export function Tint(props: { color: string | undefined; bold?: boolean; inverse?: boolean; children: ReactNode }) {
  const on = useContext(ColorContext);
  return (
    <Text {...(on && props.color ? { color: props.color } : {})} bold={props.bold ?? false} inverse={props.inverse ?? false}>
      {props.children}
    </Text>
  );
}

export function colorsWanted(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.NO_COLOR === undefined || env.NO_COLOR === "";
}
