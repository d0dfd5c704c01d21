/*
 * Shrink a photo in the browser before upload: InspectPhotos.shrink(file, {maxSide, quality})
 * resolves with a smaller JPEG (a File named *.jpg) or, when that is not possible or not
 * worth it (not smaller; under 10% smaller for a photo that needed no scaling), with the
 * original file unchanged. It never rejects.
 *
 * - Decodes with createImageBitmap(..., {imageOrientation: "none"}): pixels stay as stored and
 *   the server applies the EXIF orientation (and strips all metadata from what it serves).
 * - Copies the original JPEG's APP1 "Exif" segment right after SOI of the new JPEG, so capture
 *   time, GPS and Orientation survive the canvas (which writes no metadata).
 * - Browsers that apply the EXIF orientation anyway (Chromium 150 does, despite "none"; so did
 *   engines before "from-image") get the copied Orientation tag set to 1, so the server does
 *   not turn the photo a second time. A 177-byte probe JPEG tells which kind of browser this is.
 * - HEIC/HEIF is kept as it is: the server reads it, and a canvas copy would lose the metadata.
 * - PNG/WebP are re-encoded as JPEG on white (no metadata to keep); anything the browser cannot
 *   decode (HEIC in Chromium, PDF, ...) is returned unchanged for the server to judge.
 * No dependencies, no build step; ES2017 (promises), works in a plain <script defer>.
 */
(function () {
  "use strict";
  var HEAD_BYTES = 262144; // Exif (<= 64 KB) and SOF come early in a JPEG

  function readBytes(blob) {
    if (blob.arrayBuffer) {
      return blob.arrayBuffer().then(function (buf) { return new Uint8Array(buf); });
    }
    return new Promise(function (resolve, reject) { // Safari < 14
      var reader = new FileReader();
      reader.onload = function () { resolve(new Uint8Array(reader.result)); };
      reader.onerror = function () { reject(reader.error); };
      reader.readAsArrayBuffer(blob);
    });
  }

  function ascii(b, from, to) {
    return String.fromCharCode.apply(null, b.subarray(from, Math.min(to, b.length)));
  }

  // HEIC/HEIF (not AVIF): an ISO-BMFF "ftyp" box naming a HEVC/HEIF brand.
  function isHeif(b) {
    if (ascii(b, 4, 8) !== "ftyp") return false;
    var brands = ascii(b, 8, 64);
    return /he[iv][cxms]|mif1|msf1/.test(brands) && !/avi[fs]/.test(brands);
  }

  // Walk the JPEG segments before the first scan: the whole Exif APP1 segment (marker
  // included) and the stored frame size from SOFn. Returns null for non-JPEG data.
  function parseJpeg(b) {
    if (b[0] !== 0xff || b[1] !== 0xd8) return null;
    var info = { exif: null, width: 0, height: 0 };
    var p = 2;
    while (p + 4 <= b.length && b[p] === 0xff) {
      var m = b[p + 1];
      if (m === 0xff) { p++; continue; } // fill byte
      if (m === 0xda || m === 0xd9) break; // start of scan / end of image
      var len = (b[p + 2] << 8) | b[p + 3];
      if (len < 2 || p + 2 + len > b.length) break;
      if (m === 0xe1 && !info.exif && ascii(b, p + 4, p + 10) === "Exif\0\0") {
        info.exif = b.slice(p, p + 2 + len);
      } else if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) {
        info.height = (b[p + 5] << 8) | b[p + 6];
        info.width = (b[p + 7] << 8) | b[p + 8];
      }
      p += 2 + len;
    }
    return info;
  }

  // The IFD0 Orientation entry of an Exif segment: {at: offset of its value, le, value} or null.
  function orientation(seg) {
    var t = 10; // FF E1, length, "Exif\0\0", then the TIFF header
    if (seg.length < t + 8) return null;
    var le = seg[t] === 0x49; // "II" little-endian, "MM" big-endian
    function u16(o) { return le ? seg[o] | (seg[o + 1] << 8) : (seg[o] << 8) | seg[o + 1]; }
    function u32(o) { return le ? u16(o) + u16(o + 2) * 65536 : u16(o) * 65536 + u16(o + 2); }
    var ifd = t + u32(t + 4);
    if (ifd + 2 > seg.length) return null;
    for (var i = 0, n = u16(ifd); i < n; i++) {
      var e = ifd + 2 + i * 12;
      if (e + 12 > seg.length) return null;
      if (u16(e) === 0x0112) return { at: e + 8, le: le, value: u16(e + 8) };
    }
    return null;
  }

  // Does this browser apply the EXIF orientation even with imageOrientation "none"? The spec
  // says it must not, but Chromium (150) does, and so did older engines. Decode a 2x1 JPEG
  // tagged Orientation 6 once: it comes back 1x2 if the browser turned it.
  var PROBE = "/9j/4QAiRXhpZgAATU0AKgAAAAgAAQESAAMAAAABAAYAAAAAAAD/2wBDAP////////////////////" +
    "//////////////////////////////////////////////////////////////////wAALCAABAAIBAREA/8QAFAAB" +
    "AAAAAAAAAAAAAAAAAAAAAP/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AP//Z";
  var probe = null;
  function browserTurns() {
    if (!probe) {
      var bin = atob(PROBE), u = new Uint8Array(bin.length);
      for (var i = 0; i < bin.length; i++) u[i] = bin.charCodeAt(i);
      probe = createImageBitmap(new Blob([u], { type: "image/jpeg" }), { imageOrientation: "none" })
        .then(function (bmp) { var turned = bmp.width === 1; if (bmp.close) bmp.close(); return turned; },
          function () { return true; }); // cannot tell: most engines turn
    }
    return probe;
  }

  function shrink(file, options) {
    var opts = options || {};
    var maxSide = opts.maxSide || 2048;
    var quality = opts.quality || 0.85;
    if (!file || !window.createImageBitmap || !window.Blob) return Promise.resolve(file);
    var info = null;
    return readBytes(file.slice(0, HEAD_BYTES)).then(function (head) {
      if (isHeif(head)) throw new Error("keep HEIC as it is");
      info = parseJpeg(head);
      return Promise.all([createImageBitmap(file, { imageOrientation: "none" }), browserTurns()]);
    }).then(function (res) {
      var bmp = res[0];
      var w = bmp.width, h = bmp.height;
      var scale = Math.min(1, maxSide / Math.max(w, h));
      var canvas = document.createElement("canvas");
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      var ctx = canvas.getContext("2d");
      ctx.fillStyle = "#fff"; // transparent PNG/WebP onto white, as the server does
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.imageSmoothingEnabled = true;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(bmp, 0, 0, canvas.width, canvas.height);
      if (bmp.close) bmp.close();
      var exif = info && info.exif;
      var o = exif && orientation(exif);
      if (o && o.value > 1) {
        // Did the browser turn the pixels already? For 5-8 the size tells; else the probe.
        var turned = res[1];
        if (o.value >= 5 && info.width && info.width !== info.height) turned = w === info.height;
        if (turned) { exif[o.at] = o.le ? 1 : 0; exif[o.at + 1] = o.le ? 0 : 1; }
      }
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          canvas.width = canvas.height = 0; // free the pixels now (iOS caps canvas memory)
          resolve(blob);
        }, "image/jpeg", quality);
      }).then(function (blob) {
        if (!blob || blob.type !== "image/jpeg") return file;
        var parts = exif ? [blob.slice(0, 2), exif, blob.slice(2)] : [blob];
        var out = new Blob(parts, { type: "image/jpeg" });
        // Not worth it: keep the original (a photo that needed no scaling must shrink by
        // 10% or more, or re-encoding only costs quality).
        if (out.size >= file.size * (scale < 1 ? 1 : 0.9)) return file;
        var name = (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg";
        try {
          return new File([out], name, { type: "image/jpeg", lastModified: file.lastModified });
        } catch (e) {
          return out; // no File constructor (old Edge): a Blob uploads fine with a name given
        }
      });
    }).catch(function () { return file; });
  }

  window.InspectPhotos = { shrink: shrink };
})();
