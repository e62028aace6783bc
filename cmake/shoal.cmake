# Helpers so that every target is declared the same way (Abseil style).
#
# shoal_library(NAME name SRCS ... DEPS ...)   -> static library shoal_<name>
# shoal_test(NAME name SRCS ... DEPS ... [LABELS ...]) -> gtest binary registered with ctest
# shoal_benchmark(NAME name SRCS ... DEPS ...) -> Google Benchmark binary (not run by ctest)

function(shoal_library)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_library(shoal_${A_NAME} STATIC ${A_SRCS})
  target_include_directories(shoal_${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(shoal_${A_NAME} PUBLIC ${A_DEPS})
endfunction()

function(shoal_test)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} GTest::gmock GTest::gtest GTest::gtest_main)
  add_test(NAME ${A_NAME} COMMAND ${A_NAME})
  if(A_LABELS)
    set_tests_properties(${A_NAME} PROPERTIES LABELS "${A_LABELS}")
  else()
    set_tests_properties(${A_NAME} PROPERTIES LABELS "unit")
  endif()
endfunction()

function(shoal_benchmark)
  cmake_parse_arguments(A "" "NAME" "SRCS;DEPS" ${ARGN})
  add_executable(${A_NAME} ${A_SRCS})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} benchmark::benchmark benchmark::benchmark_main)
endfunction()

# shoal_subsystem(NAME name DEPS ... [TEST_DEPS ...])
# Declares library shoal_<name> from every *.cc in the current folder (and internal/) except
# *_test.cc and *_benchmark.cc; each *_test.cc becomes a unit test and each *_benchmark.cc a
# benchmark. Adding a file needs no CMake edit.
function(shoal_subsystem)
  cmake_parse_arguments(A "" "NAME" "DEPS;TEST_DEPS" ${ARGN})
  file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cc
       ${CMAKE_CURRENT_SOURCE_DIR}/internal/*.cc ${CMAKE_CURRENT_SOURCE_DIR}/plugins/*.cc)
  file(GLOB tests CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_test.cc
       ${CMAKE_CURRENT_SOURCE_DIR}/internal/*_test.cc ${CMAKE_CURRENT_SOURCE_DIR}/plugins/*_test.cc)
  file(GLOB benches CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_benchmark.cc)
  list(REMOVE_ITEM srcs ${tests} ${benches})
  shoal_library(NAME ${A_NAME} SRCS ${srcs} DEPS ${A_DEPS})
  foreach(t ${tests})
    get_filename_component(tname ${t} NAME_WE)
    shoal_test(NAME ${tname} SRCS ${t} DEPS shoal_${A_NAME} ${A_TEST_DEPS})
  endforeach()
  foreach(b ${benches})
    get_filename_component(bname ${b} NAME_WE)
    shoal_benchmark(NAME ${bname} SRCS ${b} DEPS shoal_${A_NAME} ${A_TEST_DEPS})
  endforeach()
endfunction()
