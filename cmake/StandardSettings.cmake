# Flags live in INTERFACE targets that every library and program links, so a setting is
# changed in one place (the ccache way).
add_library(standard_settings INTERFACE)
target_compile_features(standard_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)
target_compile_definitions(standard_settings INTERFACE
  DAGCTL_VERSION="${PROJECT_VERSION}")
if(DAGCTL_SANITIZE STREQUAL "thread")
  # ThreadSanitizer cannot share a build with AddressSanitizer: its own build folder
  # (scripts/test-tsan).
  target_compile_options(standard_settings INTERFACE -fsanitize=thread -fno-omit-frame-pointer)
  target_link_options(standard_settings INTERFACE -fsanitize=thread)
elseif(DAGCTL_SANITIZE)
  target_compile_options(standard_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(standard_settings INTERFACE -fsanitize=address,undefined)
endif()
if(DAGCTL_FUZZ)
  # Every library is instrumented for coverage; only the fuzz targets link libFuzzer's main.
  target_compile_options(standard_settings INTERFACE
    -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(standard_settings INTERFACE -fsanitize=address,undefined)
endif()

add_library(standard_warnings INTERFACE)
target_compile_options(standard_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(DAGCTL_DEV)
  target_compile_options(standard_warnings INTERFACE -Werror)
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    # GCC 12 reports false -Wrestrict inside libstdc++'s std::string at -O3 (GCC bug 105329).
    target_compile_options(standard_warnings INTERFACE -Wno-error=restrict)
  endif()
endif()
if(DAGCTL_SANITIZE AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # GCC 12 reports false maybe-uninitialized warnings inside std::regex and std::optional
  # when the sanitizers instrument them.
  target_compile_options(standard_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
