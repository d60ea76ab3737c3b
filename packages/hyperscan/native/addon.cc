// Native Hyperscan / Vectorscan binding for @otel-policy/hyperscan.
//
// JS API (see README of the package for the TypeScript view):
//   version(): string
//   flags: { CASELESS, DOTALL, MULTILINE, SINGLEMATCH, ALLOWEMPTY, UTF8, UCP,
//            PREFILTER, SOM_LEFTMOST }
//   new Database(patterns: string[], flags: number[])
//   Database#scan(value: string, out: Int32Array, offset: number): number
//   Database#patternCount: number   (getter)
//   Database#databaseSize: number   (getter, bytes of the compiled database)
//   Database#info(): string
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: errors are raised as pending JS
// exceptions and the function returns immediately.

#include <hs.h>
#include <napi.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr size_t kInitialBufferSize = 256;

struct MatchContext {
  int32_t* out;
  size_t pos;
  size_t cap;
  bool overflow;
};

int OnMatch(unsigned int id, unsigned long long /*from*/,
            unsigned long long /*to*/, unsigned int /*flags*/, void* ctx) {
  auto* m = static_cast<MatchContext*>(ctx);
  if (m->pos >= m->cap) {
    m->overflow = true;
    return 1;  // terminate the scan
  }
  m->out[m->pos++] = static_cast<int32_t>(id);
  return 0;
}

const char* HsErrorName(hs_error_t err) {
  switch (err) {
    case HS_INVALID: return "HS_INVALID";
    case HS_NOMEM: return "HS_NOMEM";
    case HS_SCAN_TERMINATED: return "HS_SCAN_TERMINATED";
    case HS_COMPILER_ERROR: return "HS_COMPILER_ERROR";
    case HS_DB_VERSION_ERROR: return "HS_DB_VERSION_ERROR";
    case HS_DB_PLATFORM_ERROR: return "HS_DB_PLATFORM_ERROR";
    case HS_DB_MODE_ERROR: return "HS_DB_MODE_ERROR";
    case HS_BAD_ALIGN: return "HS_BAD_ALIGN";
    case HS_BAD_ALLOC: return "HS_BAD_ALLOC";
    case HS_SCRATCH_IN_USE: return "HS_SCRATCH_IN_USE";
    case HS_ARCH_ERROR: return "HS_ARCH_ERROR";
    case HS_INSUFFICIENT_SPACE: return "HS_INSUFFICIENT_SPACE";
    case HS_UNKNOWN_ERROR: return "HS_UNKNOWN_ERROR";
    default: return "unknown hyperscan error";
  }
}

void ThrowHsError(Napi::Env env, const char* what, hs_error_t err) {
  std::string msg(what);
  msg += " failed: ";
  msg += HsErrorName(err);
  msg += " (";
  msg += std::to_string(static_cast<int>(err));
  msg += ")";
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::Number::New(env, static_cast<double>(err)));
  e.ThrowAsJavaScriptException();
}

void ThrowCompileError(Napi::Env env, const std::string& message,
                       int expression) {
  Napi::Error e = Napi::Error::New(env, message);
  e.Set("expression", Napi::Number::New(env, expression));
  e.ThrowAsJavaScriptException();
}

class Database : public Napi::ObjectWrap<Database> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(
        env, "Database",
        {
            InstanceMethod<&Database::Scan>("scan"),
            InstanceMethod<&Database::Info>("info"),
            InstanceAccessor<&Database::PatternCount>("patternCount"),
            InstanceAccessor<&Database::DatabaseSize>("databaseSize"),
        });
  }

  explicit Database(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<Database>(info) {
    Napi::Env env = info.Env();

    if (info.Length() < 2 || !info[0].IsArray() || !info[1].IsArray()) {
      Napi::TypeError::New(env,
                           "Database(patterns: string[], flags: number[]) "
                           "expects two arrays")
          .ThrowAsJavaScriptException();
      return;
    }
    Napi::Array patterns = info[0].As<Napi::Array>();
    Napi::Array flagArr = info[1].As<Napi::Array>();
    const uint32_t n = patterns.Length();
    if (n == 0) {
      Napi::TypeError::New(env,
                           "Database: patterns must be a non-empty array "
                           "(Hyperscan cannot compile an empty pattern set)")
          .ThrowAsJavaScriptException();
      return;
    }
    if (flagArr.Length() != n) {
      Napi::TypeError::New(env,
                           "Database: flags must have the same length as "
                           "patterns")
          .ThrowAsJavaScriptException();
      return;
    }

    std::vector<std::string> exprStore;
    exprStore.reserve(n);
    std::vector<const char*> exprs(n);
    std::vector<unsigned int> flags(n);
    std::vector<unsigned int> ids(n);

    for (uint32_t i = 0; i < n; i++) {
      Napi::Value p = patterns.Get(i);
      if (env.IsExceptionPending()) return;
      if (!p.IsString()) {
        Napi::TypeError::New(env, "Database: patterns[" + std::to_string(i) +
                                      "] is not a string")
            .ThrowAsJavaScriptException();
        return;
      }
      exprStore.push_back(p.As<Napi::String>().Utf8Value());
      if (exprStore.back().find('\0') != std::string::npos) {
        // hs_compile_multi takes NUL-terminated strings; a literal NUL would
        // silently truncate the pattern. Callers must write it as \x00.
        ThrowCompileError(env,
                          "Pattern contains a literal NUL character (use "
                          "\\x00 instead)",
                          static_cast<int>(i));
        return;
      }

      Napi::Value f = flagArr.Get(i);
      if (env.IsExceptionPending()) return;
      if (!f.IsNumber()) {
        Napi::TypeError::New(env, "Database: flags[" + std::to_string(i) +
                                      "] is not a number")
            .ThrowAsJavaScriptException();
        return;
      }
      double fd = f.As<Napi::Number>().DoubleValue();
      if (!(fd >= 0 && fd <= 4294967295.0) ||
          fd != static_cast<double>(static_cast<uint32_t>(fd))) {
        Napi::TypeError::New(env, "Database: flags[" + std::to_string(i) +
                                      "] is not a uint32")
            .ThrowAsJavaScriptException();
        return;
      }
      flags[i] = static_cast<unsigned int>(fd);
      ids[i] = i;
    }
    for (uint32_t i = 0; i < n; i++) exprs[i] = exprStore[i].c_str();

    hs_database_t* db = nullptr;
    hs_compile_error_t* compileErr = nullptr;
    hs_error_t rc =
        hs_compile_multi(exprs.data(), flags.data(), ids.data(), n,
                         HS_MODE_BLOCK, nullptr, &db, &compileErr);
    if (rc != HS_SUCCESS) {
      std::string message = "hs_compile_multi failed";
      int expression = -1;
      if (compileErr != nullptr) {
        if (compileErr->message != nullptr) message = compileErr->message;
        expression = compileErr->expression;
      } else {
        message += std::string(": ") + HsErrorName(rc);
      }
      if (compileErr != nullptr) hs_free_compile_error(compileErr);
      if (db != nullptr) hs_free_database(db);
      ThrowCompileError(env, message, expression);
      return;
    }
    if (compileErr != nullptr) hs_free_compile_error(compileErr);

    hs_scratch_t* scratch = nullptr;
    rc = hs_alloc_scratch(db, &scratch);
    if (rc != HS_SUCCESS) {
      hs_free_database(db);
      ThrowHsError(env, "hs_alloc_scratch", rc);
      return;
    }

    char* buf = static_cast<char*>(std::malloc(kInitialBufferSize));
    if (buf == nullptr) {
      hs_free_scratch(scratch);
      hs_free_database(db);
      Napi::Error::New(env, "Database: out of memory")
          .ThrowAsJavaScriptException();
      return;
    }

    db_ = db;
    scratch_ = scratch;
    buf_ = buf;
    cap_ = kInitialBufferSize;
    count_ = n;

    size_t dbSize = 0;
    size_t scratchSize = 0;
    hs_database_size(db_, &dbSize);
    hs_scratch_size(scratch_, &scratchSize);
    dbSize_ = dbSize;
    // Tell V8 about the native memory so dropped databases get collected.
    external_ = static_cast<int64_t>(dbSize + scratchSize + cap_);
    Napi::MemoryManagement::AdjustExternalMemory(env, external_);
  }

  ~Database() override {
    if (scratch_ != nullptr) hs_free_scratch(scratch_);
    if (db_ != nullptr) hs_free_database(db_);
    std::free(buf_);
    if (external_ != 0) {
      Napi::MemoryManagement::AdjustExternalMemory(Env(), -external_);
    }
  }

 private:
  // scan(value: string, out: Int32Array, offset: number): number
  Napi::Value Scan(const Napi::CallbackInfo& info) {
    napi_env env = info.Env();
    if (info.Length() < 3) {
      Napi::TypeError::New(env,
                           "scan(value: string, out: Int32Array, offset: "
                           "number) expects 3 arguments")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    if (db_ == nullptr) {
      Napi::Error::New(env, "scan: database is not initialised")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }

    // --- out / offset -----------------------------------------------------
    napi_typedarray_type type;
    size_t outLen = 0;
    void* data = nullptr;
    if (napi_get_typedarray_info(env, info[1], &type, &outLen, &data, nullptr,
                                 nullptr) != napi_ok ||
        type != napi_int32_array) {
      Napi::TypeError::New(env, "scan: out must be an Int32Array")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    int64_t offset = 0;
    if (napi_get_value_int64(env, info[2], &offset) != napi_ok) {
      Napi::TypeError::New(env, "scan: offset must be a number")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    if (offset < 0 || static_cast<uint64_t>(offset) > outLen) {
      Napi::RangeError::New(env, "scan: offset out of range")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }

    // --- value -> UTF-8 in the reusable buffer ----------------------------
    size_t len16 = 0;
    if (napi_get_value_string_utf16(env, info[0], nullptr, 0, &len16) !=
        napi_ok) {
      Napi::TypeError::New(env, "scan: value must be a string")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    // Each UTF-16 code unit becomes at most 3 UTF-8 bytes (a surrogate pair,
    // 2 units, becomes 4), +1 for the terminating NUL napi always writes.
    const size_t need = len16 * 3 + 1;
    if (need > cap_) {
      size_t newCap = cap_;
      while (newCap < need) newCap *= 2;
      char* nb = static_cast<char*>(std::realloc(buf_, newCap));
      if (nb == nullptr) {
        Napi::Error::New(env, "scan: out of memory")
            .ThrowAsJavaScriptException();
        return Napi::Value();
      }
      Napi::MemoryManagement::AdjustExternalMemory(
          info.Env(), static_cast<int64_t>(newCap - cap_));
      external_ += static_cast<int64_t>(newCap - cap_);
      buf_ = nb;
      cap_ = newCap;
    }
    size_t len8 = 0;
    if (napi_get_value_string_utf8(env, info[0], buf_, cap_, &len8) !=
        napi_ok) {
      Napi::TypeError::New(env, "scan: value must be a string")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }

    // --- scan ----------------------------------------------------------------
    MatchContext ctx{static_cast<int32_t*>(data), static_cast<size_t>(offset),
                     outLen, false};
    hs_error_t rc = hs_scan(db_, buf_, static_cast<unsigned int>(len8), 0,
                            scratch_, OnMatch, &ctx);
    if (ctx.overflow) {
      Napi::RangeError::New(env,
                            "scan: out is too small for the matches "
                            "(need more than out.length - offset slots)")
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    if (rc != HS_SUCCESS) {
      ThrowHsError(info.Env(), "hs_scan", rc);
      return Napi::Value();
    }

    napi_value result;
    napi_create_uint32(env, static_cast<uint32_t>(ctx.pos), &result);
    return Napi::Value(env, result);
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (db_ == nullptr) return env.Undefined();
    char* s = nullptr;
    hs_error_t rc = hs_database_info(db_, &s);
    if (rc != HS_SUCCESS || s == nullptr) {
      ThrowHsError(env, "hs_database_info", rc);
      return Napi::Value();
    }
    Napi::String out = Napi::String::New(env, s);
    std::free(s);  // allocated with the default misc allocator (malloc)
    return out;
  }

  Napi::Value PatternCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), count_);
  }

  Napi::Value DatabaseSize(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(dbSize_));
  }

  hs_database_t* db_ = nullptr;
  hs_scratch_t* scratch_ = nullptr;
  char* buf_ = nullptr;
  size_t cap_ = 0;
  uint32_t count_ = 0;
  size_t dbSize_ = 0;
  int64_t external_ = 0;
};

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  hs_error_t rc = hs_valid_platform();
  if (rc != HS_SUCCESS) {
    Napi::Error::New(env,
                     "Hyperscan/Vectorscan does not support this CPU "
                     "(hs_valid_platform failed; SSSE3 is required on x86)")
        .ThrowAsJavaScriptException();
    return exports;
  }

  exports.Set("version", Napi::Function::New(
                             env,
                             [](const Napi::CallbackInfo& info) -> Napi::Value {
                               // Debian builds report "5.4.9 " (empty
                               // build date): drop trailing blanks.
                               std::string v(hs_version());
                               while (!v.empty() && v.back() == ' ') {
                                 v.pop_back();
                               }
                               return Napi::String::New(info.Env(), v);
                             },
                             "version"));

  Napi::Object flags = Napi::Object::New(env);
  flags.Set("CASELESS", Napi::Number::New(env, HS_FLAG_CASELESS));
  flags.Set("DOTALL", Napi::Number::New(env, HS_FLAG_DOTALL));
  flags.Set("MULTILINE", Napi::Number::New(env, HS_FLAG_MULTILINE));
  flags.Set("SINGLEMATCH", Napi::Number::New(env, HS_FLAG_SINGLEMATCH));
  flags.Set("ALLOWEMPTY", Napi::Number::New(env, HS_FLAG_ALLOWEMPTY));
  flags.Set("UTF8", Napi::Number::New(env, HS_FLAG_UTF8));
  flags.Set("UCP", Napi::Number::New(env, HS_FLAG_UCP));
  flags.Set("PREFILTER", Napi::Number::New(env, HS_FLAG_PREFILTER));
  flags.Set("SOM_LEFTMOST", Napi::Number::New(env, HS_FLAG_SOM_LEFTMOST));
  flags.Freeze();
  exports.Set("flags", flags);

  exports.Set("Database", Database::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(otel_policy_hs, Init)
