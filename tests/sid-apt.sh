# shellcheck shell=bash
# Sourced by tests/kernel-newest.sh and tests/run-newest.sh: Debian
# unstable's index in a private apt state under CACHE, so that the host's
# sources, pins and installed packages neither change nor take part.
# sid_apt CACHE MIRROR sets `apt`, the options for apt-get and apt-cache,
# and fetches the index. No network must fail, not skip: apt would go on
# with the old index (and hide a new kernel) but for --error-on=any.
sid_apt() {
	local dir=$1/sid-apt
	mkdir -p "$dir/lists/partial" "$dir/cache"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $2 sid main" >"$dir/sources.list"
	# sid's Release file may be past its Valid-Until on a mirror that
	# lags; the signature still holds.
	apt=(-q -o Dir::Etc::SourceList="$dir/sources.list" -o Dir::Etc::SourceParts=/dev/null
		-o Dir::Etc::Preferences=/dev/null -o Dir::Etc::PreferencesParts=/dev/null
		-o Dir::State::Lists="$dir/lists" -o Dir::State::status=/dev/null
		-o Dir::Cache="$dir/cache" -o Acquire::Languages=none -o Acquire::Check-Valid-Until=false)
	apt-get "${apt[@]}" --error-on=any update
}
