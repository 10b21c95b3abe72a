// Requests of one ApiKey in a period of UTC days, summed from its status:
// whole months from status.usage.monthly, partial months from .daily.
#pragma once
#include <cstdint>
#include <string>

#include "api/apikey.h"

namespace keyward {

struct PeriodSum {
  std::int64_t requests = 0;
  // False when part of the period is older than the daily history holds
  // (31 days) inside a month the period covers only in part.
  bool complete = true;
};

// |from| and |to| are YYYY-MM-DD, both included.
PeriodSum RequestsBetween(const Usage& usage, const std::string& from, const std::string& to);

// A real calendar date written YYYY-MM-DD.
bool IsDate(const std::string& text);

}  // namespace keyward
