// CRC-32 (IEEE 802.3, the zlib/PNG polynomial) over a byte string, sliced by 8.
// Used only as a typo check on keys, never for security. Thread-safe (pure).
#pragma once
#include <cstdint>
#include <string_view>

namespace keyward {

std::uint32_t Crc32(std::string_view data);

}  // namespace keyward
