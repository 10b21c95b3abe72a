# json_parse_bench: request-body JSON parsers compared (docs/decisions.md).
# include()d from a CMakeLists that has found cpprestsdk, RapidJSON and
# benchmark; simdjson (libsimdjson-dev) is optional and only for this bench.
find_package(simdjson QUIET)
add_executable(json_parse_bench ${CMAKE_CURRENT_LIST_DIR}/json_parse_bench.cpp)
target_compile_definitions(json_parse_bench PRIVATE
  KEYWARD_JSON_BODIES_DIR="${CMAKE_CURRENT_LIST_DIR}/json_bodies"
  KEYWARD_BENCH_HAVE_SIMDJSON=$<BOOL:${simdjson_FOUND}>)
target_include_directories(json_parse_bench PRIVATE ${RAPIDJSON_INCLUDE_DIRS})
target_link_libraries(json_parse_bench PRIVATE cpprestsdk::cpprest benchmark::benchmark
  $<$<BOOL:${simdjson_FOUND}>:simdjson::simdjson>)
