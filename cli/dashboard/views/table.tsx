// @jsxRuntime automatic
// @jsxImportSource react
/** A scrolling table: the selected row is marked `›` and inverted; the status symbol is coloured. */
import { Box, Text } from "ink";
import { headerText, layoutColumns, rowText, statusLook, type Column } from "../format.js";
import { Tint } from "../theme.js";

/** First visible row so that `selected` stays on screen. */
export function windowStart(selected: number, total: number, visible: number): number {
  if (total <= visible) return 0;
  return Math.min(Math.max(0, selected - Math.floor(visible / 2)), total - visible);
}

export function Table<T>(props: { columns: Column<T>[]; rows: readonly T[]; selected: number; height: number; width: number; status: (row: T) => string | undefined; empty: string }) {
  const { rows, selected, height, width } = props;
  const columns = layoutColumns(props.columns, width - 4);
  const visible = Math.max(1, height - 1);
  const start = windowStart(selected, rows.length, visible);
  return (
    <Box flexDirection="column">
      <Text bold>{`    ${headerText(columns)}`}</Text>
      {rows.length === 0 && <Text>{`    ${props.empty}`}</Text>}
      {rows.slice(start, start + visible).map((row, i) => {
        const index = start + i;
        const look = statusLook(props.status(row));
        const isSelected = index === selected;
        return (
          <Text key={index} inverse={isSelected} wrap="truncate">
            {isSelected ? "› " : "  "}
            <Tint color={look.color}>{look.symbol}</Tint> {rowText(columns, row)}
          </Text>
        );
      })}
    </Box>
  );
}
