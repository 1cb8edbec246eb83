# Sourced by tests/runtime/install.test: comp "LINE" completes LINE (the
# cursor at its end) with completion/strobe.bash the way bash does it: words
# split at blanks and around ':' (COMP_WORDBREAKS), then prints [REPLIES].
. completion/strobe.bash
compopt() { :; }
comp() {
	COMP_LINE=$1
	COMP_POINT=${#COMP_LINE}
	local w
	COMP_WORDS=()
	for w in $(printf '%s' "$COMP_LINE" | sed 's/:/ : /g'); do
		COMP_WORDS+=("$w")
	done
	[[ $COMP_LINE == *" " || $COMP_LINE == *: ]] && COMP_WORDS+=("")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	_strobe
	echo "[${COMPREPLY[*]}]"
}
