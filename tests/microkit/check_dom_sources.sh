#!/usr/bin/env bash
# check_dom_sources.sh SRC_DOM_DIR
# src/dom/ must build for a Microkit PD: freestanding C, no backend of its
# own.  Fails when a file of src/dom/ includes
#   - a file of a backend folder (src/mk/linux/, src/mk/microkit/): the
#     backend's mk_backend.h comes from the include path the build sets;
#   - a header that is not freestanding, beyond the macro- and
#     declaration-only ones allowed below (string.h: the functions a PD gets
#     from src/mk/microkit/libc.c; errno.h: the codes; sys/queue.h: macros);
# or names the host system (__linux__, __APPLE__, _WIN32).
set -uo pipefail
dir=$1
allowed='^(errno|stdatomic|stdbool|stddef|stdint|string|limits|stdalign|stdarg|stdnoreturn|sys/queue)\.h$'
bad=0
# one line per include: FILE:LINE:<hdr> or FILE:LINE:"hdr"
while IFS=: read -r file _ hdr; do
	case "$hdr" in
	'<'*)
		h=${hdr#<}
		h=${h%>}
		if ! [[ $h =~ $allowed ]] && [[ $h != rumpbridge/* ]]; then
			echo "FAIL: $file includes <$h>, not freestanding"
			bad=$((bad + 1))
		fi
		;;
	*)
		if [[ $hdr == *mk/linux/* || $hdr == *mk/microkit/* || $hdr == *linux* ]]; then
			echo "FAIL: $file includes $hdr, a backend's file"
			bad=$((bad + 1))
		fi
		;;
	esac
done < <(grep -rnoE '^[[:space:]]*#[[:space:]]*include[[:space:]]*[<"][^>"]+[>"]' "$dir" \
		 --include='*.c' --include='*.h' --include='*.S' |
	 sed -E 's/^([^:]*:[0-9]+:)[[:space:]]*#[[:space:]]*include[[:space:]]*/\1/')
if grep -rnE '__linux__|__APPLE__|_WIN32' "$dir"; then
	echo "FAIL: src/dom names a host system"
	bad=$((bad + 1))
fi
if [ $bad -ne 0 ]; then
	echo "FAIL: $bad problems"
	exit 1
fi
echo "PASS: src/dom includes only freestanding headers and no backend file"
