#include "kube/text_packer.h"

#include <zstd.h>

#include <stdexcept>

namespace keyward {

namespace {

// One compression and one decompression context per thread, shared by every
// packer (the dictionary is given per call): a few hundred KiB per thread
// that packs, instead of one per call.
struct ContextFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* ThreadCompressor() {
  thread_local std::unique_ptr<ZSTD_CCtx, ContextFree> cctx(ZSTD_createCCtx());
  return cctx.get();
}

ZSTD_DCtx* ThreadDecompressor() {
  thread_local std::unique_ptr<ZSTD_DCtx, ContextFree> dctx(ZSTD_createDCtx());
  return dctx.get();
}

}  // namespace

struct TextPacker::Dictionaries {
  ZSTD_CDict* compress = nullptr;
  ZSTD_DDict* decompress = nullptr;
  int level = 3;
  ~Dictionaries() {
    ZSTD_freeCDict(compress);
    ZSTD_freeDDict(decompress);
  }
};

TextPacker::TextPacker(std::string dictionary, int level) : dicts_(std::make_unique<Dictionaries>()) {
  dicts_->level = level;
  if (dictionary.empty()) return;
  // Text without zstd's dictionary header is loaded as raw content: packed
  // texts refer back into it.
  dicts_->compress = ZSTD_createCDict(dictionary.data(), dictionary.size(), level);
  dicts_->decompress = ZSTD_createDDict(dictionary.data(), dictionary.size());
  if (!dicts_->compress || !dicts_->decompress) throw std::runtime_error("zstd: cannot load dictionary");
}

TextPacker::~TextPacker() = default;

std::string TextPacker::Pack(std::string_view text) const {
  std::string out(ZSTD_compressBound(text.size()), '\0');
  ZSTD_CCtx* cctx = ThreadCompressor();
  std::size_t n = dicts_->compress
                      ? ZSTD_compress_usingCDict(cctx, out.data(), out.size(), text.data(),
                                                 text.size(), dicts_->compress)
                      : ZSTD_compressCCtx(cctx, out.data(), out.size(), text.data(), text.size(),
                                          dicts_->level);
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd: ") + ZSTD_getErrorName(n));
  out.resize(n);
  out.shrink_to_fit();  // the bound is ~text size; keep only what is used
  return out;
}

std::string TextPacker::Unpack(std::string_view packed) const {
  unsigned long long size = ZSTD_getFrameContentSize(packed.data(), packed.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > (64u << 20)) {
    throw std::runtime_error("zstd: not a packed text");
  }
  std::string out(size, '\0');
  ZSTD_DCtx* dctx = ThreadDecompressor();
  std::size_t n = dicts_->decompress
                      ? ZSTD_decompress_usingDDict(dctx, out.data(), out.size(), packed.data(),
                                                   packed.size(), dicts_->decompress)
                      : ZSTD_decompressDCtx(dctx, out.data(), out.size(), packed.data(), packed.size());
  if (ZSTD_isError(n) || n != size) {
    throw std::runtime_error(std::string("zstd: ") + (ZSTD_isError(n) ? ZSTD_getErrorName(n) : "short"));
  }
  return out;
}

}  // namespace keyward
