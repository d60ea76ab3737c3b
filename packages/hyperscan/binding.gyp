{
  "targets": [
    {
      "target_name": "otel_policy_hs",
      "sources": ["native/addon.cc"],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NAPI_DISABLE_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED"
      ],
      "cflags!": ["-O3", "-fexceptions"],
      "cflags_cc!": ["-O3", "-fexceptions"],
      "cflags": ["<!@(node native/hs-flags.cjs cflags)"],
      "libraries": ["<!@(node native/hs-flags.cjs libs)"],
      "configurations": {
        "Release": {
          "cflags": ["-O2"],
          "xcode_settings": { "GCC_OPTIMIZATION_LEVEL": "2" }
        }
      },
      "xcode_settings": {
        "OTHER_CFLAGS": ["<!@(node native/hs-flags.cjs cflags)"],
        "GCC_ENABLE_CPP_EXCEPTIONS": "NO",
        "CLANG_CXX_LIBRARY": "libc++",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 0 }
      }
    }
  ]
}
