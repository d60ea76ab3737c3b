// Native Hyperscan / Vectorscan binding for @otel-policy/hyperscan.
//
// JS API (see README of the package for the TypeScript view):
//   version(): string
//   flags: { CASELESS, DOTALL, MULTILINE, SINGLEMATCH, ALLOWEMPTY, UTF8, UCP,
//            PREFILTER, SOM_LEFTMOST }
//   new Database(patterns: string[], flags: number[])
//   compileAsync(patterns, flags): Promise<Database>  (compiled on the libuv pool)
//   Database#scan(value: string): number   (own property; ids in #results;
//                                           -1 for a lone surrogate, unscanned)
//   Database#results: Int32Array           (one slot per expression)
//   Database#patternCount: number   (getter)
//   Database#databaseSize: number   (getter, bytes of the compiled database)
//   Database#info(): string
//
// Built with NAPI_DISABLE_CPP_EXCEPTIONS: errors are raised as pending JS
// exceptions and the function returns immediately.

#include <hs.h>
#include <napi.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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
            InstanceMethod<&Database::Info>("info"),
            InstanceAccessor<&Database::PatternCount>("patternCount"),
            InstanceAccessor<&Database::DatabaseSize>("databaseSize"),
        });
  }

  /** What hs_compile_multi needs, read from JS on the main thread. */
  struct CompileInput {
    std::vector<std::string> exprStore;
    std::vector<const char*> exprs;
    std::vector<unsigned int> flags;
    std::vector<unsigned int> ids;
  };

  /** A compiled database and its scratch, or why there is none. Built off the main thread by compileAsync. */
  struct CompileOutput {
    hs_database_t* db = nullptr;
    hs_scratch_t* scratch = nullptr;
    uint32_t count = 0;
    bool ok = false;
    bool compileError = false;  // else an hs call failed (message names it, rc says how)
    std::string message;
    int expression = -1;
    hs_error_t rc = HS_SUCCESS;
  };

  static bool ReadExpressions(Napi::Env env, Napi::Value patternsVal, Napi::Value flagsVal, CompileInput& in) {
    if (!patternsVal.IsArray() || !flagsVal.IsArray()) {
      Napi::TypeError::New(env,
                           "Database(patterns: string[], flags: number[]) "
                           "expects two arrays")
          .ThrowAsJavaScriptException();
      return false;
    }
    Napi::Array patterns = patternsVal.As<Napi::Array>();
    Napi::Array flagArr = flagsVal.As<Napi::Array>();
    const uint32_t n = patterns.Length();
    if (n == 0) {
      Napi::TypeError::New(env,
                           "Database: patterns must be a non-empty array "
                           "(Hyperscan cannot compile an empty pattern set)")
          .ThrowAsJavaScriptException();
      return false;
    }
    if (flagArr.Length() != n) {
      Napi::TypeError::New(env,
                           "Database: flags must have the same length as "
                           "patterns")
          .ThrowAsJavaScriptException();
      return false;
    }

    std::vector<std::string>& exprStore = in.exprStore;
    exprStore.reserve(n);
    std::vector<const char*>& exprs = in.exprs;
    exprs.resize(n);
    std::vector<unsigned int>& flags = in.flags;
    flags.resize(n);
    std::vector<unsigned int>& ids = in.ids;
    ids.resize(n);

    for (uint32_t i = 0; i < n; i++) {
      Napi::Value p = patterns.Get(i);
      if (env.IsExceptionPending()) return false;
      if (!p.IsString()) {
        Napi::TypeError::New(env, "Database: patterns[" + std::to_string(i) +
                                      "] is not a string")
            .ThrowAsJavaScriptException();
        return false;
      }
      exprStore.push_back(p.As<Napi::String>().Utf8Value());
      if (exprStore.back().find('\0') != std::string::npos) {
        // hs_compile_multi takes NUL-terminated strings; a literal NUL would
        // silently truncate the pattern. Callers must write it as \x00.
        ThrowCompileError(env,
                          "Pattern contains a literal NUL character (use "
                          "\\x00 instead)",
                          static_cast<int>(i));
        return false;
      }

      Napi::Value f = flagArr.Get(i);
      if (env.IsExceptionPending()) return false;
      if (!f.IsNumber()) {
        Napi::TypeError::New(env, "Database: flags[" + std::to_string(i) +
                                      "] is not a number")
            .ThrowAsJavaScriptException();
        return false;
      }
      double fd = f.As<Napi::Number>().DoubleValue();
      if (!(fd >= 0 && fd <= 4294967295.0) ||
          fd != static_cast<double>(static_cast<uint32_t>(fd))) {
        Napi::TypeError::New(env, "Database: flags[" + std::to_string(i) +
                                      "] is not a uint32")
            .ThrowAsJavaScriptException();
        return false;
      }
      flags[i] = static_cast<unsigned int>(fd);
      ids[i] = i;
    }
    for (uint32_t i = 0; i < n; i++) exprs[i] = exprStore[i].c_str();
    return true;
  }

  /** hs_compile_multi and hs_alloc_scratch; touches no JS, so it runs on any thread. */
  static void Compile(const CompileInput& in, CompileOutput& out) {
    const uint32_t n = static_cast<uint32_t>(in.exprs.size());
    hs_compile_error_t* compileErr = nullptr;
    hs_error_t rc = hs_compile_multi(in.exprs.data(), in.flags.data(), in.ids.data(), n, HS_MODE_BLOCK, nullptr, &out.db, &compileErr);
    if (rc != HS_SUCCESS) {
      out.compileError = true;
      out.message = "hs_compile_multi failed";
      if (compileErr != nullptr) {
        if (compileErr->message != nullptr) out.message = compileErr->message;
        out.expression = compileErr->expression;
      } else {
        out.message += std::string(": ") + HsErrorName(rc);
      }
      if (compileErr != nullptr) hs_free_compile_error(compileErr);
      if (out.db != nullptr) hs_free_database(out.db);
      out.db = nullptr;
      return;
    }
    if (compileErr != nullptr) hs_free_compile_error(compileErr);
    rc = hs_alloc_scratch(out.db, &out.scratch);
    if (rc != HS_SUCCESS) {
      hs_free_database(out.db);
      out.db = nullptr;
      out.rc = rc;
      out.message = "hs_alloc_scratch";
      return;
    }
    out.count = n;
    out.ok = true;
  }

  static void ThrowFailure(Napi::Env env, const CompileOutput& out) {
    if (out.compileError) ThrowCompileError(env, out.message, out.expression);
    else ThrowHsError(env, out.message.c_str(), out.rc);
  }

  // new Database(patterns: string[], flags: number[]) compiles here;
  // new Database(External<CompileOutput>) adopts what compileAsync built.
  explicit Database(const Napi::CallbackInfo& info)
      : Napi::ObjectWrap<Database>(info) {
    Napi::Env env = info.Env();
    CompileOutput compiled;
    CompileOutput* adopted = nullptr;
    if (info.Length() == 1 && info[0].IsExternal()) {
      adopted = info[0].As<Napi::External<CompileOutput>>().Data();
    } else {
      CompileInput in;
      if (!ReadExpressions(env, info.Length() > 0 ? info[0] : env.Undefined(), info.Length() > 1 ? info[1] : env.Undefined(), in)) return;
      Compile(in, compiled);
      if (!compiled.ok) {
        ThrowFailure(env, compiled);
        return;
      }
    }
    CompileOutput& c = adopted != nullptr ? *adopted : compiled;
    hs_database_t* db = c.db;
    hs_scratch_t* scratch = c.scratch;
    const uint32_t n = c.count;
    // From here on this object owns them.
    c.db = nullptr;
    c.scratch = nullptr;

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

    // The hot path bypasses ObjectWrap: `this.scan` is a plain function whose
    // data pointer is this object (no unwrap per call), and it writes match
    // ids to `this.results`, an Int32Array allocated here once (no typed
    // array lookup per call). SINGLEMATCH bounds the ids to one per pattern.
    Napi::ArrayBuffer ab = Napi::ArrayBuffer::New(env, sizeof(int32_t) * n);
    results_ = static_cast<int32_t*>(ab.Data());
    resultsCap_ = n;
    Napi::Object self = info.This().As<Napi::Object>();
    self.Set("results", Napi::Int32Array::New(env, n, ab, 0));
    napi_value fn;
    if (napi_create_function(env, "scan", NAPI_AUTO_LENGTH, &Database::ScanCallback, this, &fn) != napi_ok) return;
    // The function keeps its database alive: its data pointer is only valid while this object is.
    Napi::Object(env, fn).Set("owner", self);
    self.Set("scan", Napi::Value(env, fn));
  }

  ~Database() override {
    if (scratch_ != nullptr) hs_free_scratch(scratch_);
    if (db_ != nullptr) hs_free_database(db_);
    std::free(buf_);
    std::free(buf16_);
    if (external_ != 0) {
      Napi::MemoryManagement::AdjustExternalMemory(Env(), -external_);
    }
  }

 private:
  // scan(value: string): number — ids of the matching expressions are in results[0..n).
  static napi_value ScanCallback(napi_env env, napi_callback_info info) {
    size_t argc = 1;
    napi_value argv[1];
    void* data = nullptr;
    if (napi_get_cb_info(env, info, &argc, argv, nullptr, &data) != napi_ok) return nullptr;
    Database* self = static_cast<Database*>(data);
    if (argc < 1) {
      napi_throw_type_error(env, nullptr, "scan(value: string) expects a string");
      return nullptr;
    }
    // UTF-16 from V8 is a plain copy (V8's own UTF-8 writer costs several
    // times more on short strings); the conversion below is ours. One call
    // when the value fits the buffer, which is the usual case.
    size_t got = 0;
    if (napi_get_value_string_utf16(env, argv[0], self->buf16_, self->cap16_, &got) != napi_ok) {
      napi_throw_type_error(env, nullptr, "scan: value must be a string");
      return nullptr;
    }
    if (got + 1 >= self->cap16_) {
      size_t len16 = 0;
      napi_get_value_string_utf16(env, argv[0], nullptr, 0, &len16);
      if (!self->Reserve(env, len16)) {
        napi_throw_error(env, nullptr, "scan: out of memory");
        return nullptr;
      }
      napi_get_value_string_utf16(env, argv[0], self->buf16_, self->cap16_, &got);
    } else if (!self->Reserve(env, got)) {
      napi_throw_error(env, nullptr, "scan: out of memory");
      return nullptr;
    }
    const size_t len8 = Utf16ToUtf8(self->buf16_, got, reinterpret_cast<unsigned char*>(self->buf_));
    if (len8 == kIllFormed) {
      // A lone surrogate: UTF-8 cannot carry it, so RE2 semantics are the caller's to apply.
      napi_value minus;
      napi_create_int32(env, -1, &minus);
      return minus;
    }

    MatchContext ctx{self->results_, 0, self->resultsCap_, false};
    hs_error_t rc = hs_scan(self->db_, self->buf_, static_cast<unsigned int>(len8), 0, self->scratch_, OnMatch, &ctx);
    if (ctx.overflow) {
      napi_throw_range_error(env, nullptr, "scan: more matches than expressions (compiled without SINGLEMATCH?)");
      return nullptr;
    }
    if (rc != HS_SUCCESS) {
      ThrowHsError(Napi::Env(env), "hs_scan", rc);
      return nullptr;
    }
    napi_value result;
    napi_create_uint32(env, static_cast<uint32_t>(ctx.pos), &result);
    return result;
  }

  /** Room for a value of len16 UTF-16 units: the units themselves and at most 3 UTF-8 bytes each. */
  bool Reserve(napi_env env, size_t len16) {
    const size_t before = cap16_ * sizeof(char16_t) + cap_;
    if (len16 + 1 > cap16_) {
      size_t c = cap16_ ? cap16_ : 256;
      while (c < len16 + 1) c *= 2;
      void* nb = std::realloc(buf16_, c * sizeof(char16_t));
      if (nb == nullptr) return false;
      buf16_ = static_cast<char16_t*>(nb);
      cap16_ = c;
    }
    const size_t need8 = len16 * 3 + 1;
    if (need8 > cap_) {
      size_t c = cap_;
      while (c < need8) c *= 2;
      char* nb = static_cast<char*>(std::realloc(buf_, c));
      if (nb == nullptr) return false;
      buf_ = nb;
      cap_ = c;
    }
    const int64_t grown = static_cast<int64_t>(cap16_ * sizeof(char16_t) + cap_) - static_cast<int64_t>(before);
    if (grown != 0) {
      int64_t ignored;
      napi_adjust_external_memory(env, grown, &ignored);
      external_ += grown;
    }
    return true;
  }

  static constexpr size_t kIllFormed = static_cast<size_t>(-1);

  /** UTF-16 to UTF-8, or kIllFormed at a lone surrogate. */
  static size_t Utf16ToUtf8(const char16_t* src, size_t n, unsigned char* dst) {
    size_t i = 0;
    size_t j = 0;
    while (i < n) {
#if defined(__SSE2__)
      // ASCII runs, sixteen units at a time: test the high bits, then narrow with saturation.
      const __m128i high = _mm_set1_epi16(static_cast<short>(0xFF80));
      while (i + 16 <= n) {
        const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
        const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i + 8));
        const __m128i h = _mm_and_si128(_mm_or_si128(a, b), high);
        if (_mm_movemask_epi8(_mm_cmpeq_epi16(h, _mm_setzero_si128())) != 0xFFFF) break;
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + j), _mm_packus_epi16(a, b));
        i += 16;
        j += 16;
      }
#endif
      // ASCII runs, four units at a time.
      while (i + 4 <= n) {
        uint64_t w;
        std::memcpy(&w, src + i, 8);
        if (w & 0xFF80FF80FF80FF80ULL) break;
        dst[j] = static_cast<unsigned char>(src[i]);
        dst[j + 1] = static_cast<unsigned char>(src[i + 1]);
        dst[j + 2] = static_cast<unsigned char>(src[i + 2]);
        dst[j + 3] = static_cast<unsigned char>(src[i + 3]);
        i += 4;
        j += 4;
      }
      if (i >= n) break;
      uint32_t c = src[i++];
      if (c < 0x80) {
        dst[j++] = static_cast<unsigned char>(c);
      } else if (c < 0x800) {
        dst[j++] = static_cast<unsigned char>(0xC0 | (c >> 6));
        dst[j++] = static_cast<unsigned char>(0x80 | (c & 0x3F));
      } else {
        if (c >= 0xD800 && c <= 0xDFFF) {
          if (c <= 0xDBFF && i < n && src[i] >= 0xDC00 && src[i] <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + (src[i++] - 0xDC00);
            dst[j++] = static_cast<unsigned char>(0xF0 | (c >> 18));
            dst[j++] = static_cast<unsigned char>(0x80 | ((c >> 12) & 0x3F));
            dst[j++] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
            dst[j++] = static_cast<unsigned char>(0x80 | (c & 0x3F));
            continue;
          }
          return kIllFormed;
        }
        dst[j++] = static_cast<unsigned char>(0xE0 | (c >> 12));
        dst[j++] = static_cast<unsigned char>(0x80 | ((c >> 6) & 0x3F));
        dst[j++] = static_cast<unsigned char>(0x80 | (c & 0x3F));
      }
    }
    return j;
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
  char16_t* buf16_ = nullptr;
  size_t cap16_ = 0;
  int32_t* results_ = nullptr;
  size_t resultsCap_ = 0;
  uint32_t count_ = 0;
  size_t dbSize_ = 0;
  int64_t external_ = 0;
};

/** compileAsync: hs_compile_multi on the libuv thread pool, so a large set never blocks the event loop. */
class CompileWorker : public Napi::AsyncWorker {
 public:
  CompileWorker(Napi::Env env, Napi::FunctionReference* ctor)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)), ctor_(ctor) {}
  ~CompileWorker() override {
    if (out_.scratch != nullptr) hs_free_scratch(out_.scratch);
    if (out_.db != nullptr) hs_free_database(out_.db);
  }
  Database::CompileInput in;
  Napi::Promise Promise() { return deferred_.Promise(); }

 protected:
  void Execute() override { Database::Compile(in, out_); }
  void OnOK() override {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (!out_.ok) {
      Napi::Error e = Napi::Error::New(env, out_.compileError ? out_.message : out_.message + " failed: " + HsErrorName(out_.rc));
      if (out_.compileError) e.Set("expression", Napi::Number::New(env, out_.expression));
      deferred_.Reject(e.Value());
      return;
    }
    Napi::Object db = ctor_->New({Napi::External<Database::CompileOutput>::New(env, &out_)});
    if (env.IsExceptionPending()) {
      deferred_.Reject(env.GetAndClearPendingException().Value());
      return;
    }
    deferred_.Resolve(db);
  }
  void OnError(const Napi::Error& e) override { deferred_.Reject(e.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Napi::FunctionReference* ctor_;
  Database::CompileOutput out_;
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

  Napi::Function ctor = Database::Init(env);
  exports.Set("Database", ctor);
  // Kept for the life of the environment (each worker thread loads its own copy).
  auto* ctorRef = new Napi::FunctionReference(Napi::Persistent(ctor));
  env.SetInstanceData<Napi::FunctionReference>(ctorRef);
  exports.Set("compileAsync", Napi::Function::New(env, [ctorRef](const Napi::CallbackInfo& info) -> Napi::Value {
    Napi::Env env = info.Env();
    auto* worker = new CompileWorker(env, ctorRef);
    if (!Database::ReadExpressions(env, info.Length() > 0 ? info[0] : env.Undefined(), info.Length() > 1 ? info[1] : env.Undefined(), worker->in)) {
      delete worker;
      return Napi::Value();
    }
    Napi::Promise promise = worker->Promise();
    worker->Queue();
    return promise;
  }, "compileAsync"));
  return exports;
}

}  // namespace

NODE_API_MODULE(otel_policy_hs, Init)
