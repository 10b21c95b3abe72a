// Which JSON parser for request bodies on the HTTPS port: cpprestsdk's
// web::json::value, RapidJSON and simdjson (DOM and On-Demand), each parsing
// the bodies in bench/json_bodies/ AND taking out the fields the handler
// needs, as keyward's handlers do (operator/server/check_endpoints.cpp,
// operator/webhooks/*.cpp). Boost.JSON is not here: bookworm has it only in
// libboost-json1.81-dev, which conflicts with the Boost 1.74 -dev packages
// that libcpprest-dev depends on (docs/decisions.md).
//
// Every extractor is noexcept: a missing or mistyped field must come back as
// an outcome, never as an exception (one would end the program here). Before
// timing, every parser runs on every body and on extra edge cases and must
// give the same result as the others; the program stops if they differ.
//
// Allocations: malloc and friends are interposed (glibc), so every heap
// allocation counts, operator new and the parsers' own malloc alike. After
// the timed loop each benchmark runs 100 more calls and reports "allocs" and
// "alloc_bytes" per call.
//
// Run: json_parse_bench [--bodies DIR] [benchmark flags]; DIR defaults to the
// source tree's bench/json_bodies (KEYWARD_JSON_BODIES_DIR at build time).
#include <benchmark/benchmark.h>
#include <cpprest/json.h>
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#if KEYWARD_BENCH_HAVE_SIMDJSON
#include <simdjson.h>
#endif

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <utility>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#ifndef KEYWARD_JSON_BODIES_DIR
#define KEYWARD_JSON_BODIES_DIR "bench/json_bodies"
#endif

// ---------------------------------------------------------------------------
// Allocation counting: glibc's malloc under our own names. Load-and-store
// instead of fetch_add: no lock prefix on the timed path; the benchmark
// thread is the only one allocating while it runs.
extern "C" {
void* __libc_malloc(size_t) noexcept;
void* __libc_calloc(size_t, size_t) noexcept;
void* __libc_realloc(void*, size_t) noexcept;
void* __libc_memalign(size_t, size_t) noexcept;
void __libc_free(void*) noexcept;
}

namespace {
std::atomic<unsigned long> g_allocs{0};
std::atomic<unsigned long> g_alloc_bytes{0};
inline void CountAlloc(size_t n) {
  g_allocs.store(g_allocs.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  g_alloc_bytes.store(g_alloc_bytes.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
}  // namespace

extern "C" {
void* malloc(size_t n) noexcept {
  CountAlloc(n);
  return __libc_malloc(n);
}
void* calloc(size_t c, size_t n) noexcept {
  CountAlloc(c * n);
  return __libc_calloc(c, n);
}
void* realloc(void* p, size_t n) noexcept {
  CountAlloc(n);
  return __libc_realloc(p, n);
}
void free(void* p) noexcept { __libc_free(p); }
int posix_memalign(void** out, size_t align, size_t n) noexcept {
  CountAlloc(n);
  void* p = __libc_memalign(align, n);
  if (!p) return ENOMEM;
  *out = p;
  return 0;
}
void* aligned_alloc(size_t align, size_t n) noexcept {
  CountAlloc(n);
  return __libc_memalign(align, n);
}
void* memalign(size_t align, size_t n) noexcept {
  CountAlloc(n);
  return __libc_memalign(align, n);
}
}

namespace {

// ---------------------------------------------------------------------------
// What a handler takes out of each body. The rules follow the handlers:
// absent or null string -> ""; a present field of the wrong type is an error
// where the handler answers 400 (/v1/check fields, spec.token, request.uid)
// and "" where it does not care.

enum class Outcome { kOk, kParseError, kBadField };

struct Result {
  Outcome outcome = Outcome::kOk;
  std::string bad_field;  // for kBadField
};

struct CheckFields {  // POST /v1/check
  std::string key, ns, pod, container, action;
};

struct TokenReviewFields {
  std::string token;                   // spec.token, required string
  std::vector<std::string> audiences;  // spec.audiences, non-strings skipped
};

struct SarFields {  // SubjectAccessReview
  std::string user;
  std::vector<std::string> groups;
  std::string ns, verb, group, resource, subresource, name;  // spec.resourceAttributes
};

struct ObjectStats {  // a walk over request.object: every value once
  unsigned long nodes = 0;
  unsigned long string_bytes = 0;  // keys and string values, unescaped
};

struct AdmissionFields {
  std::string uid, operation, ns, username;
  ObjectStats object;
  bool has_annotations = false;                 // object.metadata.annotations is an object
  std::vector<std::string> review_namespaces;  // as NamespacesToReview(): "" = all/glob
};

void AddReviewNamespace(std::vector<std::string>* out, std::string_view ns) {
  out->emplace_back(ns.find_first_of("*?[") == std::string_view::npos ? ns : std::string_view());
}
void Finish(AdmissionFields* f) {
  std::sort(f->review_namespaces.begin(), f->review_namespaces.end());
  f->review_namespaces.erase(std::unique(f->review_namespaces.begin(), f->review_namespaces.end()),
                             f->review_namespaces.end());
}

Result Bad(const char* field) { return {Outcome::kBadField, field}; }
Result ParseError() { return {Outcome::kParseError, {}}; }

constexpr const char* kCheckNames[] = {"key", "namespace", "pod", "container", "action"};
std::string* CheckSlot(CheckFields* f, int i) {
  std::string* slots[] = {&f->key, &f->ns, &f->pod, &f->container, &f->action};
  return slots[i];
}

// ---------------------------------------------------------------------------
// cpprestsdk: web::json::value, as operator/webhooks/admission.cpp with the
// non-throwing lookups of operator/kube/json_fields.h.
namespace cpprest {
using web::json::value;

const value* At(const value& v, const char* key) {
  if (!v.is_object()) return nullptr;
  const web::json::object& o = v.as_object();
  auto it = o.find(key);
  return it == o.end() ? nullptr : &it->second;
}
std::string StringOr(const value* v) { return v && v->is_string() ? v->as_string() : std::string(); }
void Strings(const value* v, std::vector<std::string>* out) {
  if (!v || !v->is_array()) return;
  for (const value& e : v->as_array()) {
    if (e.is_string()) out->push_back(e.as_string());
  }
}
bool Parse(std::string_view body, value* out) {
  std::error_code ec;
  *out = value::parse(std::string(body), ec);
  return !ec;
}
void Walk(const value& v, ObjectStats* s) {
  ++s->nodes;
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      s->string_bytes += k.size();
      Walk(child, s);
    }
  } else if (v.is_array()) {
    for (const value& child : v.as_array()) Walk(child, s);
  } else if (v.is_string()) {
    s->string_bytes += v.as_string().size();
  }
}

Result Check(std::string_view body, CheckFields* f) noexcept {
  value doc;
  if (!Parse(body, &doc) || !doc.is_object()) return ParseError();
  for (int i = 0; i < 5; ++i) {
    const value* v = At(doc, kCheckNames[i]);
    if (!v || v->is_null()) continue;
    if (!v->is_string()) return Bad(kCheckNames[i]);
    *CheckSlot(f, i) = v->as_string();
  }
  return {};
}

Result TokenReview(std::string_view body, TokenReviewFields* f) noexcept {
  value doc;
  if (!Parse(body, &doc) || !doc.is_object()) return ParseError();
  const value* spec = At(doc, "spec");
  if (!spec || !spec->is_object()) return Bad("spec");
  const value* token = At(*spec, "token");
  if (!token || !token->is_string()) return Bad("spec.token");
  f->token = token->as_string();
  Strings(At(*spec, "audiences"), &f->audiences);
  return {};
}

Result Sar(std::string_view body, SarFields* f) noexcept {
  value doc;
  if (!Parse(body, &doc) || !doc.is_object()) return ParseError();
  const value* spec = At(doc, "spec");
  if (!spec || !spec->is_object()) return Bad("spec");
  f->user = StringOr(At(*spec, "user"));
  Strings(At(*spec, "groups"), &f->groups);
  if (const value* a = At(*spec, "resourceAttributes"); a && a->is_object()) {
    f->ns = StringOr(At(*a, "namespace"));
    f->verb = StringOr(At(*a, "verb"));
    f->group = StringOr(At(*a, "group"));
    f->resource = StringOr(At(*a, "resource"));
    f->subresource = StringOr(At(*a, "subresource"));
    f->name = StringOr(At(*a, "name"));
  }
  return {};
}

Result Admission(std::string_view body, AdmissionFields* f) noexcept {
  value doc;
  if (!Parse(body, &doc) || !doc.is_object()) return ParseError();
  const value* req = At(doc, "request");
  if (!req || !req->is_object()) return Bad("request");
  const value* uid = At(*req, "uid");
  if (!uid || !uid->is_string()) return Bad("request.uid");
  f->uid = uid->as_string();
  f->operation = StringOr(At(*req, "operation"));
  f->ns = StringOr(At(*req, "namespace"));
  if (const value* u = At(*req, "userInfo")) f->username = StringOr(At(*u, "username"));
  if (const value* obj = At(*req, "object"); obj && obj->is_object()) {
    Walk(*obj, &f->object);
    const value* meta = At(*obj, "metadata");
    const value* ann = meta ? At(*meta, "annotations") : nullptr;
    f->has_annotations = ann && ann->is_object();
    const value* spec = At(*obj, "spec");
    const value* access = spec ? At(*spec, "access") : nullptr;
    if (access && access->is_array()) {
      for (const value& rule : access->as_array()) {
        const value* scope = At(rule, "scope");
        if (scope && scope->is_string() && scope->as_string() == "cluster") {
          f->review_namespaces.emplace_back();
          continue;
        }
        const value* nss = At(rule, "namespaces");
        if (!nss || !nss->is_array()) continue;
        for (const value& ns : nss->as_array()) {
          if (ns.is_string()) AddReviewNamespace(&f->review_namespaces, ns.as_string());
        }
      }
    }
  }
  Finish(f);
  return {};
}
}  // namespace cpprest

// ---------------------------------------------------------------------------
// RapidJSON, as the server does today: rapidjson::Document per request,
// Parse() from the body's string_view (no copy, not in situ). |Doc| is a
// template parameter so the arena variant below shares the code.
namespace rj {
using rapidjson::Value;

const Value* At(const Value& v, const char* key) {
  if (!v.IsObject()) return nullptr;
  auto it = v.FindMember(key);
  return it == v.MemberEnd() ? nullptr : &it->value;
}
std::string StringOr(const Value* v) {
  return v && v->IsString() ? std::string(v->GetString(), v->GetStringLength()) : std::string();
}
void Strings(const Value* v, std::vector<std::string>* out) {
  if (!v || !v->IsArray()) return;
  for (const Value& e : v->GetArray()) {
    if (e.IsString()) out->emplace_back(e.GetString(), e.GetStringLength());
  }
}
void Walk(const Value& v, ObjectStats* s) {
  ++s->nodes;
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      s->string_bytes += m.name.GetStringLength();
      Walk(m.value, s);
    }
  } else if (v.IsArray()) {
    for (const Value& child : v.GetArray()) Walk(child, s);
  } else if (v.IsString()) {
    s->string_bytes += v.GetStringLength();
  }
}

template <class Doc>
Result Check(Doc& doc, std::string_view body, CheckFields* f) noexcept {
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return ParseError();
  for (int i = 0; i < 5; ++i) {
    const Value* v = At(doc, kCheckNames[i]);
    if (!v || v->IsNull()) continue;
    if (!v->IsString()) return Bad(kCheckNames[i]);
    CheckSlot(f, i)->assign(v->GetString(), v->GetStringLength());
  }
  return {};
}

template <class Doc>
Result TokenReview(Doc& doc, std::string_view body, TokenReviewFields* f) noexcept {
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return ParseError();
  const Value* spec = At(doc, "spec");
  if (!spec || !spec->IsObject()) return Bad("spec");
  const Value* token = At(*spec, "token");
  if (!token || !token->IsString()) return Bad("spec.token");
  f->token.assign(token->GetString(), token->GetStringLength());
  Strings(At(*spec, "audiences"), &f->audiences);
  return {};
}

template <class Doc>
Result Sar(Doc& doc, std::string_view body, SarFields* f) noexcept {
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return ParseError();
  const Value* spec = At(doc, "spec");
  if (!spec || !spec->IsObject()) return Bad("spec");
  f->user = StringOr(At(*spec, "user"));
  Strings(At(*spec, "groups"), &f->groups);
  if (const Value* a = At(*spec, "resourceAttributes"); a && a->IsObject()) {
    f->ns = StringOr(At(*a, "namespace"));
    f->verb = StringOr(At(*a, "verb"));
    f->group = StringOr(At(*a, "group"));
    f->resource = StringOr(At(*a, "resource"));
    f->subresource = StringOr(At(*a, "subresource"));
    f->name = StringOr(At(*a, "name"));
  }
  return {};
}

template <class Doc>
Result Admission(Doc& doc, std::string_view body, AdmissionFields* f) noexcept {
  doc.Parse(body.data(), body.size());
  if (doc.HasParseError() || !doc.IsObject()) return ParseError();
  const Value* req = At(doc, "request");
  if (!req || !req->IsObject()) return Bad("request");
  const Value* uid = At(*req, "uid");
  if (!uid || !uid->IsString()) return Bad("request.uid");
  f->uid.assign(uid->GetString(), uid->GetStringLength());
  f->operation = StringOr(At(*req, "operation"));
  f->ns = StringOr(At(*req, "namespace"));
  if (const Value* u = At(*req, "userInfo")) f->username = StringOr(At(*u, "username"));
  if (const Value* obj = At(*req, "object"); obj && obj->IsObject()) {
    Walk(*obj, &f->object);
    const Value* meta = At(*obj, "metadata");
    const Value* ann = meta ? At(*meta, "annotations") : nullptr;
    f->has_annotations = ann && ann->IsObject();
    const Value* spec = At(*obj, "spec");
    const Value* access = spec ? At(*spec, "access") : nullptr;
    if (access && access->IsArray()) {
      for (const Value& rule : access->GetArray()) {
        const Value* scope = At(rule, "scope");
        if (scope && scope->IsString() && std::string_view(scope->GetString(), scope->GetStringLength()) == "cluster") {
          f->review_namespaces.emplace_back();
          continue;
        }
        const Value* nss = At(rule, "namespaces");
        if (!nss || !nss->IsArray()) continue;
        for (const Value& ns : nss->GetArray()) {
          if (ns.IsString()) AddReviewNamespace(&f->review_namespaces, {ns.GetString(), ns.GetStringLength()});
        }
      }
    }
  }
  Finish(f);
  return {};
}

// A Document per request, as today.
template <class Fields, Result (*Fn)(rapidjson::Document&, std::string_view, Fields*)>
Result Fresh(std::string_view body, Fields* f) noexcept {
  rapidjson::Document doc;
  return Fn(doc, body, f);
}

// The arena variant: the DOM and the parse stack in per-thread buffers, so a
// request allocates nothing for the parse (only past 16 KiB of DOM).
using ArenaAlloc = rapidjson::MemoryPoolAllocator<rapidjson::CrtAllocator>;
using ArenaDoc = rapidjson::GenericDocument<rapidjson::UTF8<>, ArenaAlloc, ArenaAlloc>;
template <class Fields, Result (*Fn)(ArenaDoc&, std::string_view, Fields*)>
Result Arena(std::string_view body, Fields* f) noexcept {
  alignas(16) thread_local char values[16384];
  alignas(16) thread_local char stack[4096];
  ArenaAlloc value_alloc(values, sizeof values);
  ArenaAlloc stack_alloc(stack, sizeof stack);
  ArenaDoc doc(&value_alloc, 1024, &stack_alloc);
  return Fn(doc, body, f);
}
}  // namespace rj

#if KEYWARD_BENCH_HAVE_SIMDJSON
// ---------------------------------------------------------------------------
// simdjson DOM: one parser per thread (it keeps its buffers), the body copied
// into the parser's padded buffer (realloc_if_needed).
namespace sjdom {
using simdjson::dom::element;
using simdjson::dom::element_type;

simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}
bool Parse(std::string_view body, element* out) {
  return Parser().parse(body.data(), body.size()).get(*out) == simdjson::SUCCESS;
}
// The member |key| of object |v|: false when |v| is not an object or has none.
bool At(element v, const char* key, element* out) {
  simdjson::dom::object o;
  if (v.get(o)) return false;
  return o[key].get(*out) == simdjson::SUCCESS;
}
std::string StringOr(element v, const char* key) {
  element e;
  std::string_view s;
  if (!At(v, key, &e) || e.get(s)) return {};
  return std::string(s);
}
void Strings(element v, const char* key, std::vector<std::string>* out) {
  element e;
  simdjson::dom::array a;
  if (!At(v, key, &e) || e.get(a)) return;
  for (element x : a) {
    std::string_view s;
    if (!x.get(s)) out->emplace_back(s);
  }
}
void Walk(element v, ObjectStats* s) {
  ++s->nodes;
  switch (v.type()) {
    case element_type::OBJECT:
      for (auto kv : simdjson::dom::object(v)) {
        s->string_bytes += kv.key.size();
        Walk(kv.value, s);
      }
      break;
    case element_type::ARRAY:
      for (element child : simdjson::dom::array(v)) Walk(child, s);
      break;
    case element_type::STRING:
      s->string_bytes += std::string_view(v).size();
      break;
    default:
      break;
  }
}

Result Check(std::string_view body, CheckFields* f) noexcept {
  element doc;
  if (!Parse(body, &doc) || !doc.is_object()) return ParseError();
  for (int i = 0; i < 5; ++i) {
    element v;
    if (!At(doc, kCheckNames[i], &v) || v.is_null()) continue;
    std::string_view s;
    if (v.get(s)) return Bad(kCheckNames[i]);
    CheckSlot(f, i)->assign(s);
  }
  return {};
}

Result TokenReview(std::string_view body, TokenReviewFields* f) noexcept {
  element doc, spec, token;
  if (!Parse(body, &doc) || !doc.is_object()) return ParseError();
  if (!At(doc, "spec", &spec) || !spec.is_object()) return Bad("spec");
  std::string_view s;
  if (!At(spec, "token", &token) || token.get(s)) return Bad("spec.token");
  f->token.assign(s);
  Strings(spec, "audiences", &f->audiences);
  return {};
}

Result Sar(std::string_view body, SarFields* f) noexcept {
  element doc, spec, a;
  if (!Parse(body, &doc) || !doc.is_object()) return ParseError();
  if (!At(doc, "spec", &spec) || !spec.is_object()) return Bad("spec");
  f->user = StringOr(spec, "user");
  Strings(spec, "groups", &f->groups);
  if (At(spec, "resourceAttributes", &a) && a.is_object()) {
    f->ns = StringOr(a, "namespace");
    f->verb = StringOr(a, "verb");
    f->group = StringOr(a, "group");
    f->resource = StringOr(a, "resource");
    f->subresource = StringOr(a, "subresource");
    f->name = StringOr(a, "name");
  }
  return {};
}

Result Admission(std::string_view body, AdmissionFields* f) noexcept {
  element doc, req, uid, user, obj;
  if (!Parse(body, &doc) || !doc.is_object()) return ParseError();
  if (!At(doc, "request", &req) || !req.is_object()) return Bad("request");
  std::string_view s;
  if (!At(req, "uid", &uid) || uid.get(s)) return Bad("request.uid");
  f->uid.assign(s);
  f->operation = StringOr(req, "operation");
  f->ns = StringOr(req, "namespace");
  if (At(req, "userInfo", &user)) f->username = StringOr(user, "username");
  if (At(req, "object", &obj) && obj.is_object()) {
    Walk(obj, &f->object);
    element meta, ann, spec, access;
    f->has_annotations = At(obj, "metadata", &meta) && At(meta, "annotations", &ann) && ann.is_object();
    simdjson::dom::array rules;
    if (At(obj, "spec", &spec) && At(spec, "access", &access) && !access.get(rules)) {
      for (element rule : rules) {
        element scope, nss;
        std::string_view sc;
        if (At(rule, "scope", &scope) && !scope.get(sc) && sc == "cluster") {
          f->review_namespaces.emplace_back();
          continue;
        }
        simdjson::dom::array list;
        if (!At(rule, "namespaces", &nss) || nss.get(list)) continue;
        for (element ns : list) {
          std::string_view n;
          if (!ns.get(n)) AddReviewNamespace(&f->review_namespaces, n);
        }
      }
    }
  }
  Finish(f);
  return {};
}
}  // namespace sjdom

// ---------------------------------------------------------------------------
// simdjson On-Demand: one parser per thread; the body copied into a
// per-thread buffer with SIMDJSON_PADDING bytes after it (the handler gets a
// string_view into Beast's body). Fields are read in one forward pass over
// each object, the idiom On-Demand wants. It validates only what it visits.
namespace sjod {
namespace od = simdjson::ondemand;
using simdjson::error_code;
using simdjson::SUCCESS;

bool Iterate(std::string_view body, od::document* doc) {
  thread_local od::parser parser;
  thread_local std::vector<char> buf;
  if (buf.size() < body.size() + simdjson::SIMDJSON_PADDING) buf.resize(body.size() + simdjson::SIMDJSON_PADDING);
  std::memcpy(buf.data(), body.data(), body.size());
  return parser.iterate(buf.data(), body.size(), buf.size()).get(*doc) == SUCCESS;
}

// A string value: *out set and SUCCESS; INCORRECT_TYPE for another type.
error_code String(od::value v, std::string* out) {
  std::string_view s;
  error_code e = v.get_string().get(s);
  if (e == SUCCESS) out->assign(s);
  return e;
}
// "" for a value of another type, as the other extractors; errors only for
// a broken document.
error_code StringOr(od::value v, std::string* out) {
  od::json_type t;
  if (error_code e = v.type().get(t)) return e;
  if (t != od::json_type::string) return SUCCESS;
  return String(v, out);
}
error_code Strings(od::value v, std::vector<std::string>* out) {
  od::json_type t;
  if (error_code e = v.type().get(t)) return e;
  if (t != od::json_type::array) return SUCCESS;
  od::array a;
  if (error_code e = v.get_array().get(a)) return e;
  for (auto item : a) {
    od::value x;
    if (error_code e = item.get(x)) return e;
    std::string_view s;
    if (error_code e = x.type().get(t)) return e;
    if (t != od::json_type::string) continue;
    if (error_code e = x.get_string().get(s)) return e;
    out->emplace_back(s);
  }
  return SUCCESS;
}

error_code Walk(od::value v, ObjectStats* s);
error_code WalkObject(od::object o, ObjectStats* s) {
  ++s->nodes;
  for (auto field : o) {
    od::field fl;
    if (error_code e = std::move(field).get(fl)) return e;
    std::string_view k;
    if (error_code e = fl.unescaped_key().get(k)) return e;
    s->string_bytes += k.size();
    if (error_code e = Walk(fl.value(), s)) return e;
  }
  return SUCCESS;
}
error_code Walk(od::value v, ObjectStats* s) {
  od::json_type t;
  if (error_code e = v.type().get(t)) return e;
  switch (t) {
    case od::json_type::object: {
      od::object o;
      if (error_code e = v.get_object().get(o)) return e;
      return WalkObject(o, s);
    }
    case od::json_type::array: {
      ++s->nodes;
      od::array a;
      if (error_code e = v.get_array().get(a)) return e;
      for (auto item : a) {
        od::value x;
        if (error_code e = item.get(x)) return e;
        if (error_code e = Walk(x, s)) return e;
      }
      return SUCCESS;
    }
    case od::json_type::string: {
      ++s->nodes;
      std::string_view str;
      if (error_code e = v.get_string().get(str)) return e;
      s->string_bytes += str.size();
      return SUCCESS;
    }
    case od::json_type::number: {
      ++s->nodes;
      od::number n;
      return v.get_number().get(n);
    }
    case od::json_type::boolean: {
      ++s->nodes;
      bool b;
      return v.get_bool().get(b);
    }
    case od::json_type::null: {
      ++s->nodes;
      bool is_null;
      if (error_code e = v.is_null().get(is_null)) return e;
      return is_null ? SUCCESS : simdjson::INCORRECT_TYPE;
    }
  }
  return SUCCESS;
}

Result Check(std::string_view body, CheckFields* f) noexcept {
  od::document doc;
  od::object root;
  if (!Iterate(body, &doc) || doc.get_object().get(root)) return ParseError();
  for (auto field : root) {
    od::field fl;
    std::string_view k;
    if (std::move(field).get(fl) || fl.unescaped_key().get(k)) return ParseError();
    od::value v = fl.value();
    for (int i = 0; i < 5; ++i) {
      if (k != kCheckNames[i]) continue;
      od::json_type t;
      if (v.type().get(t)) return ParseError();
      if (t == od::json_type::null) break;
      if (t != od::json_type::string) return Bad(kCheckNames[i]);
      if (String(v, CheckSlot(f, i))) return ParseError();
      break;
    }
  }
  // 3.0 has no at_end(): a location inside the buffer means content after the object.
  const char* rest;
  if (doc.current_location().get(rest) == SUCCESS) return ParseError();
  return {};
}

Result TokenReview(std::string_view body, TokenReviewFields* f) noexcept {
  od::document doc;
  od::object root;
  if (!Iterate(body, &doc) || doc.get_object().get(root)) return ParseError();
  od::value specv;
  if (error_code e = root.find_field_unordered("spec").get(specv)) {
    return e == simdjson::NO_SUCH_FIELD ? Bad("spec") : ParseError();
  }
  od::object spec;
  if (error_code e = specv.get_object().get(spec)) return e == simdjson::INCORRECT_TYPE ? Bad("spec") : ParseError();
  bool have_token = false;
  for (auto field : spec) {
    od::field fl;
    std::string_view k;
    if (std::move(field).get(fl) || fl.unescaped_key().get(k)) return ParseError();
    if (k == "token") {
      error_code e = String(fl.value(), &f->token);
      if (e == simdjson::INCORRECT_TYPE) return Bad("spec.token");
      if (e) return ParseError();
      have_token = true;
    } else if (k == "audiences") {
      if (Strings(fl.value(), &f->audiences)) return ParseError();
    }
  }
  if (!have_token) return Bad("spec.token");
  return {};
}

Result Sar(std::string_view body, SarFields* f) noexcept {
  od::document doc;
  od::object root;
  if (!Iterate(body, &doc) || doc.get_object().get(root)) return ParseError();
  od::value specv;
  if (error_code e = root.find_field_unordered("spec").get(specv)) {
    return e == simdjson::NO_SUCH_FIELD ? Bad("spec") : ParseError();
  }
  od::object spec;
  if (error_code e = specv.get_object().get(spec)) return e == simdjson::INCORRECT_TYPE ? Bad("spec") : ParseError();
  for (auto field : spec) {
    od::field fl;
    std::string_view k;
    if (std::move(field).get(fl) || fl.unescaped_key().get(k)) return ParseError();
    od::value v = fl.value();
    error_code e = SUCCESS;
    if (k == "user") {
      e = StringOr(v, &f->user);
    } else if (k == "groups") {
      e = Strings(v, &f->groups);
    } else if (k == "resourceAttributes") {
      od::json_type t;
      if (v.type().get(t)) return ParseError();
      if (t != od::json_type::object) continue;
      od::object a;
      if (v.get_object().get(a)) return ParseError();
      for (auto af : a) {
        od::field afl;
        std::string_view ak;
        if (std::move(af).get(afl) || afl.unescaped_key().get(ak)) return ParseError();
        std::string* out = ak == "namespace"     ? &f->ns
                           : ak == "verb"        ? &f->verb
                           : ak == "group"       ? &f->group
                           : ak == "resource"    ? &f->resource
                           : ak == "subresource" ? &f->subresource
                           : ak == "name"        ? &f->name
                                                 : nullptr;
        if (out && StringOr(afl.value(), out)) return ParseError();
      }
    }
    if (e) return ParseError();
  }
  return {};
}

Result Admission(std::string_view body, AdmissionFields* f) noexcept {
  od::document doc;
  od::object root;
  if (!Iterate(body, &doc) || doc.get_object().get(root)) return ParseError();
  od::value reqv;
  if (error_code e = root.find_field_unordered("request").get(reqv)) {
    return e == simdjson::NO_SUCH_FIELD ? Bad("request") : ParseError();
  }
  od::object req;
  if (error_code e = reqv.get_object().get(req)) return e == simdjson::INCORRECT_TYPE ? Bad("request") : ParseError();
  bool have_uid = false;
  for (auto field : req) {
    od::field fl;
    std::string_view k;
    if (std::move(field).get(fl) || fl.unescaped_key().get(k)) return ParseError();
    od::value v = fl.value();
    if (k == "uid") {
      error_code e = String(v, &f->uid);
      if (e == simdjson::INCORRECT_TYPE) return Bad("request.uid");
      if (e) return ParseError();
      have_uid = true;
    } else if (k == "operation") {
      if (StringOr(v, &f->operation)) return ParseError();
    } else if (k == "namespace") {
      if (StringOr(v, &f->ns)) return ParseError();
    } else if (k == "userInfo") {
      od::json_type t;
      if (v.type().get(t)) return ParseError();
      if (t != od::json_type::object) continue;
      od::object u;
      od::value name;
      if (v.get_object().get(u)) return ParseError();
      error_code e = u.find_field_unordered("username").get(name);
      if (e == simdjson::NO_SUCH_FIELD) continue;
      if (e || StringOr(name, &f->username)) return ParseError();
    } else if (k == "object") {
      od::json_type t;
      if (v.type().get(t)) return ParseError();
      if (t != od::json_type::object) continue;
      od::object obj;
      if (v.get_object().get(obj) || WalkObject(obj, &f->object)) return ParseError();
      // Second pass over the object, now that the walk has checked it.
      bool reset;
      if (obj.reset().get(reset)) return ParseError();
      for (auto of : obj) {
        od::field ofl;
        std::string_view ok;
        if (std::move(of).get(ofl) || ofl.unescaped_key().get(ok)) return ParseError();
        if (ok == "metadata") {
          od::value ann;
          od::json_type at;
          if (ofl.value().find_field_unordered("annotations").get(ann) == SUCCESS && ann.type().get(at) == SUCCESS) {
            f->has_annotations = at == od::json_type::object;
          }
        } else if (ok == "spec") {
          od::value access;
          od::array rules;
          if (ofl.value().find_field_unordered("access").get(access) || access.get_array().get(rules)) continue;
          for (auto r : rules) {
            od::value rule;
            od::json_type rt;
            if (r.get(rule) || rule.type().get(rt)) return ParseError();
            if (rt != od::json_type::object) continue;
            od::object ro;
            if (rule.get_object().get(ro)) return ParseError();
            std::string scope;
            std::vector<std::string> nss;
            for (auto rf : ro) {
              od::field rfl;
              std::string_view rk;
              if (std::move(rf).get(rfl) || rfl.unescaped_key().get(rk)) return ParseError();
              if (rk == "scope" && StringOr(rfl.value(), &scope)) return ParseError();
              if (rk == "namespaces" && Strings(rfl.value(), &nss)) return ParseError();
            }
            if (scope == "cluster") {
              f->review_namespaces.emplace_back();
              continue;
            }
            for (const std::string& ns : nss) AddReviewNamespace(&f->review_namespaces, ns);
          }
        }
      }
    }
  }
  if (!have_uid) return Bad("request.uid");
  Finish(f);
  return {};
}
}  // namespace sjod
#endif  // KEYWARD_BENCH_HAVE_SIMDJSON

// ---------------------------------------------------------------------------
// The table of parsers x body kinds.

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += "[" + s + "]";
  return out;
}
std::string Describe(const Result& r) {
  if (r.outcome == Outcome::kParseError) return "parse_error";
  if (r.outcome == Outcome::kBadField) return "bad_field:" + r.bad_field;
  return "ok";
}
std::string Describe(const CheckFields& f) {
  return f.key + "|" + f.ns + "|" + f.pod + "|" + f.container + "|" + f.action;
}
std::string Describe(const TokenReviewFields& f) { return f.token + "|" + Join(f.audiences); }
std::string Describe(const SarFields& f) {
  return f.user + "|" + Join(f.groups) + "|" + f.ns + "|" + f.verb + "|" + f.group + "|" + f.resource + "|" +
         f.subresource + "|" + f.name;
}
std::string Describe(const AdmissionFields& f) {
  return f.uid + "|" + f.operation + "|" + f.ns + "|" + f.username + "|nodes=" + std::to_string(f.object.nodes) +
         "|bytes=" + std::to_string(f.object.string_bytes) + "|ann=" + std::to_string(f.has_annotations) + "|" +
         Join(f.review_namespaces);
}

enum class Kind { kCheck, kTokenReview, kSar, kAdmission };

struct Parser {
  const char* name;
  Result (*check)(std::string_view, CheckFields*) noexcept;
  Result (*token_review)(std::string_view, TokenReviewFields*) noexcept;
  Result (*sar)(std::string_view, SarFields*) noexcept;
  Result (*admission)(std::string_view, AdmissionFields*) noexcept;
};

const std::vector<Parser>& Parsers() {
  static const std::vector<Parser> parsers = {
      {"cpprest", cpprest::Check, cpprest::TokenReview, cpprest::Sar, cpprest::Admission},
      {"rapidjson", rj::Fresh<CheckFields, rj::Check>, rj::Fresh<TokenReviewFields, rj::TokenReview>,
       rj::Fresh<SarFields, rj::Sar>, rj::Fresh<AdmissionFields, rj::Admission>},
      {"rapidjson_arena", rj::Arena<CheckFields, rj::Check>, rj::Arena<TokenReviewFields, rj::TokenReview>,
       rj::Arena<SarFields, rj::Sar>, rj::Arena<AdmissionFields, rj::Admission>},
#if KEYWARD_BENCH_HAVE_SIMDJSON
      {"simdjson_dom", sjdom::Check, sjdom::TokenReview, sjdom::Sar, sjdom::Admission},
      {"simdjson_ondemand", sjod::Check, sjod::TokenReview, sjod::Sar, sjod::Admission},
#endif
  };
  return parsers;
}

// One call: fresh fields, as a handler builds them per request.
std::string RunOnce(const Parser& p, Kind kind, std::string_view body) {
  switch (kind) {
    case Kind::kCheck: {
      CheckFields f;
      Result r = p.check(body, &f);
      return Describe(r) + (r.outcome == Outcome::kOk ? " " + Describe(f) : "");
    }
    case Kind::kTokenReview: {
      TokenReviewFields f;
      Result r = p.token_review(body, &f);
      return Describe(r) + (r.outcome == Outcome::kOk ? " " + Describe(f) : "");
    }
    case Kind::kSar: {
      SarFields f;
      Result r = p.sar(body, &f);
      return Describe(r) + (r.outcome == Outcome::kOk ? " " + Describe(f) : "");
    }
    case Kind::kAdmission: {
      AdmissionFields f;
      Result r = p.admission(body, &f);
      return Describe(r) + (r.outcome == Outcome::kOk ? " " + Describe(f) : "");
    }
  }
  return {};
}

template <class Fields>
inline void Call(Result (*fn)(std::string_view, Fields*) noexcept, std::string_view body) {
  Fields f;
  Result r = fn(body, &f);
  benchmark::DoNotOptimize(r);
  benchmark::DoNotOptimize(f);
}
void CallOnce(const Parser& p, Kind kind, std::string_view body) {
  switch (kind) {
    case Kind::kCheck: return Call(p.check, body);
    case Kind::kTokenReview: return Call(p.token_review, body);
    case Kind::kSar: return Call(p.sar, body);
    case Kind::kAdmission: return Call(p.admission, body);
  }
}

struct Body {
  const char* file;  // in the bodies directory
  Kind kind;
  const char* expect;  // the outcome every parser must give
};
constexpr Body kBodies[] = {
    {"check.json", Kind::kCheck, "ok"},
    {"check_truncated.json", Kind::kCheck, "parse_error"},
    {"check_wrong_type.json", Kind::kCheck, "bad_field:namespace"},
    {"token_review.json", Kind::kTokenReview, "ok"},
    {"subject_access_review.json", Kind::kSar, "ok"},
    {"admission_review.json", Kind::kAdmission, "ok"},
    {"admission_review_truncated.json", Kind::kAdmission, "parse_error"},
};

// Not timed: more shapes a client or a broken proxy may send. Every parser
// must agree on each (and none may throw).
struct Edge {
  Kind kind;
  const char* json;
  const char* expect;
};
constexpr Edge kEdges[] = {
    {Kind::kCheck, "", "parse_error"},
    {Kind::kCheck, "[]", "parse_error"},
    {Kind::kCheck, "{\"key\":null,\"namespace\":\"a\\u00e9\\\"b\"}", "ok"},
    {Kind::kCheck, "{\"pod\":[\"x\"]}", "bad_field:pod"},
    {Kind::kCheck, "{\"namespace\":\"a\"} trailing", "parse_error"},
    {Kind::kTokenReview, "{\"spec\":[]}", "bad_field:spec"},
    {Kind::kTokenReview, "{\"spec\":{\"token\":5}}", "bad_field:spec.token"},
    {Kind::kTokenReview, "{\"spec\":{\"audiences\":[1,\"a\"]}}", "bad_field:spec.token"},
    {Kind::kTokenReview, "{\"spec\":{\"token\":\"t\",\"audiences\":\"a\"}}", "ok"},
    {Kind::kSar, "{\"spec\":{\"user\":7,\"groups\":\"g\",\"resourceAttributes\":[]}}", "ok"},
    {Kind::kSar, "{\"spec\":{\"resourceAttributes\":{\"verb\":{\"x\":1},\"name\":\"p\"}}}", "ok"},
    {Kind::kSar, "{}", "bad_field:spec"},
    {Kind::kAdmission, "{\"request\":5}", "bad_field:request"},
    {Kind::kAdmission, "{\"request\":{\"operation\":\"CREATE\"}}", "bad_field:request.uid"},
    {Kind::kAdmission,
     "{\"request\":{\"uid\":\"u\",\"userInfo\":\"x\",\"object\":{\"metadata\":{\"annotations\":null},"
     "\"spec\":{\"access\":[{\"scope\":\"cluster\"},5,{\"namespaces\":[\"a\",\"b*\",3]}]},\"n\":[1.5e3,true,null]}}}",
     "ok"},
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "json_parse_bench: cannot read %s (use --bodies DIR)\n", path.c_str());
    std::exit(2);
  }
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// Every parser gives the same result on every body; the expected outcome.
bool SelfCheck(const std::map<std::string, std::string>& bodies) {
  bool ok = true;
  auto agree = [&](const std::string& what, Kind kind, std::string_view body, const char* expect) {
    std::string first;
    for (const Parser& p : Parsers()) {
      std::string got = RunOnce(p, kind, body);
      std::string outcome = got.substr(0, got.find(' '));
      if (outcome != expect || (!first.empty() && got != first)) {
        std::fprintf(stderr, "MISMATCH %s %s: %s (expected %s; first parser: %s)\n", what.c_str(), p.name,
                     got.c_str(), expect, first.c_str());
        ok = false;
      }
      if (first.empty()) first = got;
    }
    std::fprintf(stderr, "  %-34s %s\n", what.c_str(), first.substr(0, 110).c_str());
  };
  std::fprintf(stderr, "self-check (all parsers agree):\n");
  for (const Body& b : kBodies) agree(b.file, b.kind, bodies.at(b.file), b.expect);
  int i = 0;
  for (const Edge& e : kEdges) agree("edge case " + std::to_string(i++), e.kind, e.json, e.expect);
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  std::string dir = KEYWARD_JSON_BODIES_DIR;
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--bodies" && i + 1 < argc) {
      dir = argv[++i];
    } else {
      args.push_back(argv[i]);
    }
  }
  int nargs = static_cast<int>(args.size());

  static std::map<std::string, std::string> bodies;
  for (const Body& b : kBodies) bodies[b.file] = ReadFile(dir + "/" + b.file);
  if (!SelfCheck(bodies)) return 1;
#if KEYWARD_BENCH_HAVE_SIMDJSON
  std::fprintf(stderr, "simdjson %s: stage 1 %s, On-Demand compiled for %s\n", SIMDJSON_STRINGIFY(SIMDJSON_VERSION),
               simdjson::get_active_implementation()->name().c_str(),
               simdjson::builtin_implementation()->name().c_str());
#endif

  for (const Body& b : kBodies) {
    std::string stem(b.file, std::strlen(b.file) - 5);  // without ".json"
    for (const Parser& p : Parsers()) {
      std::string name = "BM_Parse/" + stem + "/" + p.name;
      const std::string& body = bodies.at(b.file);
      Kind kind = b.kind;
      benchmark::RegisterBenchmark(name.c_str(), [&p, &body, kind](benchmark::State& state) {
        for (auto _ : state) CallOnce(p, kind, body);
        state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
        constexpr int kCounted = 100;
        unsigned long allocs = g_allocs.load(), bytes = g_alloc_bytes.load();
        for (int i = 0; i < kCounted; ++i) CallOnce(p, kind, body);
        state.counters["allocs"] = static_cast<double>(g_allocs.load() - allocs) / kCounted;
        state.counters["alloc_bytes"] = static_cast<double>(g_alloc_bytes.load() - bytes) / kCounted;
      });
    }
  }
  benchmark::Initialize(&nargs, args.data());
  if (benchmark::ReportUnrecognizedArguments(nargs, args.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
