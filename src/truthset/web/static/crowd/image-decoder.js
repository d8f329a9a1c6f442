// Decodes a photo in a Worker and cuts downscaled copies and crops from it there, so that even a
// 100-megapixel photo never blocks the page. Measured in Chromium (see the docs): cutting a copy
// from an <img> with createImageBitmap blocks the main thread for about 3 s per call on a 10000 x
// 10000 JPEG; from a bitmap held in a worker it takes a few milliseconds and blocks nothing.
//
// The worker needs the photo's bytes, so it is only used when the photo can be fetched with CORS
// (truthset's signed media URLs can). The worker script is a Blob URL: templates run in a
// sandboxed iframe with an opaque origin, where a worker from an http(s) URL is refused.

const WORKER_SOURCE = `
  let full = null;
  onmessage = async ({ data }) => {
    try {
      if (data.type === "open") {
        full?.close();
        full = await createImageBitmap(data.blob, { imageOrientation: "from-image" });
        postMessage({ id: data.id, width: full.width, height: full.height });
      } else {
        const bitmap = await createImageBitmap(full, data.sx, data.sy, data.sw, data.sh, {
          resizeWidth: data.rw, resizeHeight: data.rh, resizeQuality: "high" });
        postMessage({ id: data.id, bitmap }, [bitmap]);
      }
    } catch (error) {
      postMessage({ id: data.id, error: String(error) });
    }
  };`;

let workerUrl = null;

/** The photo's bytes, or null when they cannot be read (no CORS headers, network error). */
export async function fetchPhotoBytes(src) {
  try {
    const response = await fetch(src, { mode: "cors", credentials: "same-origin" });
    return response.ok ? await response.blob() : null;
  } catch (_) {
    return null;
  }
}

export class PhotoDecoder {
  constructor(worker) {
    this.worker = worker;
    this.pending = new Map();
    this.nextId = 0;
    worker.onmessage = ({ data }) => {
      const settle = this.pending.get(data.id);
      this.pending.delete(data.id);
      if (data.error) settle?.reject(new Error(data.error));
      else settle?.resolve(data);
    };
    // A worker that cannot start (a policy blocks it) or crashes must fail every pending
    // request, so the tool falls back to decoding in the page instead of waiting forever.
    const fail = (event) => {
      for (const settle of this.pending.values()) settle.reject(new Error(event?.message || "decoder failed"));
      this.pending.clear();
    };
    worker.onerror = fail;
    worker.onmessageerror = fail;
  }

  /** Starts a worker that decodes `blob` (EXIF orientation applied); resolves to the decoder,
   * whose `width` and `height` are the decoded size. */
  static async open(blob) {
    workerUrl = workerUrl || URL.createObjectURL(new Blob([WORKER_SOURCE], { type: "text/javascript" }));
    const decoder = new PhotoDecoder(new Worker(workerUrl));
    try {
      const size = await decoder.request({ type: "open", blob });
      decoder.width = size.width;
      decoder.height = size.height;
      return decoder;
    } catch (error) {
      decoder.close();
      throw error;
    }
  }

  request(message) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id });
    });
  }

  /** An ImageBitmap of the region (sx, sy, sw, sh) of the photo, scaled to rw x rh. */
  async crop(sx, sy, sw, sh, rw, rh) {
    const reply = await this.request({ type: "crop", sx, sy, sw, sh, rw, rh });
    return reply.bitmap;
  }

  close() {
    this.worker.terminate();
    for (const settle of this.pending.values()) settle.reject(new Error("closed"));
    this.pending.clear();
  }
}
