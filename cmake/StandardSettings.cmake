# Flags live in INTERFACE targets that every library and program links, so a setting is
# changed in one place (the ccache way).
add_library(standard_settings INTERFACE)
target_compile_features(standard_settings INTERFACE cxx_std_20)
set(CMAKE_CXX_EXTENSIONS OFF)
target_compile_definitions(standard_settings INTERFACE
  DAGCTL_VERSION="${PROJECT_VERSION}")
if(DAGCTL_SANITIZE)
  target_compile_options(standard_settings INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(standard_settings INTERFACE -fsanitize=address,undefined)
endif()

add_library(standard_warnings INTERFACE)
target_compile_options(standard_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow
  -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough)
if(DAGCTL_DEV)
  target_compile_options(standard_warnings INTERFACE -Werror)
endif()
if(DAGCTL_SANITIZE)
  # GCC 12 reports false maybe-uninitialized warnings inside std::regex and std::optional
  # when the sanitizers instrument them.
  target_compile_options(standard_warnings INTERFACE -Wno-maybe-uninitialized)
endif()
