{
  "targets": [{
    "target_name": "protea_parasail",
    "sources": ["align.cc"],
    "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
    "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
    "cflags!": ["-fno-exceptions"],
    "cflags_cc!": ["-fno-exceptions"],
    "cflags_cc": ["-O3", "-fexceptions"],
    "libraries": ["-lparasail"]
  }]
}
