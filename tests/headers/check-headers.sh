#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-2-Clause
#
# check-headers.sh INCLUDE_DIR WORK_DIR LANG:COMPILER...
#
# Compiles every public header INCLUDE_DIR/rumpbridge/*.h alone, in every
# language standard each compiler knows (LANG is c or c++), with
# -Wall -Wextra -Werror -pedantic.  Each header gets its own translation
# unit that
#   - includes it first, and twice (the include guard);
#   - uses every error code its comments document (-EINVAL ...), so the
#     header must include what those codes need;
#   - takes sizeof and alignof of every struct it defines; the values seen
#     by each compiler and standard must equal those of the C11 build (the
#     library's own language), so C99 and C++ programs that embed the
#     structs agree with the library on their layout.
# Prints one line per header, compiler and standard; ends with
# "failed headers: NAME..." (empty when all passed) and exits 1 when one
# failed, 2 on a usage error.
set -uo pipefail

if [ $# -lt 3 ]; then
	echo "usage: $0 INCLUDE_DIR WORK_DIR LANG:COMPILER..." >&2
	exit 2
fi
inc=$1
work=$2
shift 2
mkdir -p "$work" || exit 2

C_STDS="c99 c11 c17 c23"
CXX_STDS="c++11 c++14 c++17 c++20 c++23"
# Standards a compiler may not know yet: skipped (with a line) if unknown.
OPTIONAL="c23 c++23"
WARN=(-Wall -Wextra -Werror -pedantic)

headers=("$inc"/rumpbridge/*.h)
if [ ! -e "${headers[0]}" ]; then
	echo "no headers in $inc/rumpbridge" >&2
	exit 2
fi

# The TU for header $1 in language $2 (c or c++).
write_tu() {
	local h=$1 lang=$2 name codes structs s e
	name=$(basename "$h" .h)
	codes=$(grep -oE '(^|[^A-Za-z0-9_])-E[A-Z][A-Z0-9]+' "$h" | sed 's/.*-//' | sort -u)
	structs=$(grep -oE '^struct [a-z_0-9]+ \{' "$h" | awk '{print $2}')
	printf '#include <rumpbridge/%s.h>\n#include <rumpbridge/%s.h>\n\n' "$name" "$name"
	if [ "$lang" = c++ ]; then
		printf 'extern "C" {\n'
	fi
	printf 'int rb_codes_%s(void);\nint rb_codes_%s(void)\n{\n\treturn 0' "$name" "$name"
	for e in $codes; do
		printf ' + %s' "$e"
	done
	printf ';\n}\n\n'
	# Two values per struct; a dummy 0 keeps the array non-empty.
	printf 'extern const unsigned long long rb_layout_%s[];\n' "$name"
	printf 'const unsigned long long rb_layout_%s[] = {\n' "$name"
	for s in $structs; do
		printf '\tsizeof(struct %s), __alignof__(struct %s),\n' "$s" "$s"
	done
	printf '\t0\n};\n'
	if [ "$lang" = c++ ]; then
		printf '}\n'
	fi
}

# The layout constants of an assembly file, on one line.
layout_of() {
	grep -E '^[[:space:]]*\.(quad|xword|8byte|dword)[[:space:]]+[0-9]+' "$1" |
		awk '{print $2}' | tr '\n' ' '
}

# Does compiler $2 (language $1) accept -std=$3?
knows_std() {
	echo 'int rb_probe;' | "$2" -x "$1" -std="$3" -fsyntax-only - >/dev/null 2>&1
}

declare -A ref      # header -> layout of the reference C11 build
declare -A bad      # header -> 1 when any build failed
status=0
# The reference layout comes first: the first C compiler in C11.
c_specs=()
cxx_specs=()
for spec in "$@"; do
	[ "${spec%%:*}" = c ] && c_specs+=("$spec") || cxx_specs+=("$spec")
done
ordered=("${c_specs[@]}" "${cxx_specs[@]}")
[ "${ordered[0]%%:*}" = c ] || { echo "need a C compiler for the reference layout" >&2; exit 2; }

for spec in "${ordered[@]}"; do
	lang=${spec%%:*}
	cc=${spec#*:}
	case $lang in
	c) stds="c11 ${C_STDS/c11/}" ;; # c11 first: it sets the reference
	c++) stds=$CXX_STDS ;;
	*) echo "bad language in $spec" >&2; exit 2 ;;
	esac
	tag=$(basename "$cc")
	for std in $stds; do
		use=$std
		if ! knows_std "$lang" "$cc" "$use"; then
			case $std in # the names compilers used before the standard was out
			c23) use=c2x ;;
			c++23) use=c++2b ;;
			esac
			if ! knows_std "$lang" "$cc" "$use"; then
				if [[ " $OPTIONAL " == *" $std "* ]]; then
					echo "skip $tag -std=$std: not supported by this compiler"
					continue
				fi
				echo "FAIL $tag -std=$std: not supported by this compiler"
				status=1
				continue
			fi
		fi
		for h in "${headers[@]}"; do
			name=$(basename "$h")
			base=$work/${name%.h}.$tag.$std
			[ "$lang" = c++ ] && src=$base.cc || src=$base.c
			write_tu "$h" "$lang" >"$src"
			if ! "$cc" -x "$lang" -std="$use" "${WARN[@]}" -I"$inc" -S -o "$base.s" "$src" \
				>"$base.log" 2>&1; then
				echo "FAIL $name $tag -std=$use:"
				sed 's/^/    /' "$base.log"
				bad[$name]=1
				status=1
				continue
			fi
			got=$(layout_of "$base.s")
			if [ -z "${ref[$name]+set}" ]; then
				ref[$name]=$got
			elif [ "$got" != "${ref[$name]}" ]; then
				echo "FAIL $name $tag -std=$use: struct sizes/alignments [$got]" \
					"differ from C11's [${ref[$name]}]"
				bad[$name]=1
				status=1
				continue
			fi
			echo "ok   $name $tag -std=$use"
		done
	done
done

echo "failed headers: $(printf '%s\n' "${!bad[@]}" | sort | tr '\n' ' ')"
exit $status
