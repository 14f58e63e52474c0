# Embeds every scenario file under DIR into a C file OUT (the table
# lab_builtin[] of tools/lab.h), so the synack binary carries its built-in
# scenarios. Run at build time by the lab block of CMakeLists.txt:
#   cmake -DDIR=<scenarios dir> -DOUT=<file.c> -P embed.cmake
# The text is written as byte values, so any character a file holds is
# safe; OUT is only rewritten when its contents change.
file(GLOB files "${DIR}/*.scn")
list(SORT files)
set(body "/* Generated from the scenario files by scenarios/embed.cmake: do not edit. */\n#include \"lab.h\"\n\n")
set(table "")
set(i 0)
foreach(f ${files})
  get_filename_component(name "${f}" NAME_WE)
  file(READ "${f}" hex HEX)
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," hex "${hex}")
  string(APPEND body "static const char s${i}[] = { ${hex}0 };\n")
  string(APPEND table "\t{ \"${name}\", s${i}, sizeof(s${i}) - 1 },\n")
  math(EXPR i "${i} + 1")
endforeach()
string(APPEND body "\nconst struct lab_builtin lab_builtin[] = {\n${table}\t{ 0, 0, 0 }\n};\n")
string(APPEND body "const unsigned long lab_nbuiltin = ${i};\n")
file(WRITE "${OUT}.tmp" "${body}")
configure_file("${OUT}.tmp" "${OUT}" COPYONLY)
