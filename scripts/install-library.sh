#!/bin/sh
# install-library.sh SOURCE DESTINATION: what `make install` puts treasure.so in place with.  install(1) writes
# over the existing file, whose pages a running backend still maps: that backend can crash.  A copy beside it,
# renamed over it, leaves the old file to whoever maps it and gives new backends the new one.
set -e
source=$1 destination=$2
case $destination in */) destination=$destination$(basename "$source") ;; esac
temporary="$destination.new.$$"
install -m 755 "$source" "$temporary"
mv -f "$temporary" "$destination"
