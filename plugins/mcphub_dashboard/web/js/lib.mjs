// One place that names the vendored libraries: Preact, its hooks, and htm (JSX-like templates).
import { h, render, Fragment } from "../vendor/preact.mjs";
import htm from "../vendor/htm.mjs";

export { h, render, Fragment };
export {
  useState, useEffect, useRef, useMemo, useCallback, useId,
} from "../vendor/hooks.mjs";
export const html = htm.bind(h);
