/** Reading back the histograms a summary stores (the tool itself only writes them). */
import * as hdr from "hdr-histogram-js";

/** A base64 histogram from a summary (encodeHistogram's output) as a histogram again. */
export function decodeHistogram(encoded: string): hdr.Histogram {
  return hdr.decodeFromCompressedBase64(encoded, 32, false);
}
