/** Reading back the histograms a summary stores: the engine's own decoder, one home for the settings. */
export { decodeHistogram } from "../../src/engine/histogram.ts";
