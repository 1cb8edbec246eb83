# bash completion for strobe(8): options, their arguments (-f formats, -B
# modes, -d stages, -p pids), probe types and probe names (`strobe -l
# 'tracepoint:sched:' TAB` asks strobe -l for the matching probes), script
# files and the installed tools (share/strobe/tools/*.bt).
# Installed as $(PREFIX)/share/bash-completion/completions/strobe.

_strobe_opts="-B -f -o -e -h --help -l -p -c -q -v -d --emit-elf --emit-llvm --dry-run --unsafe -I --include --no-warnings --info --tools -V --version"
_strobe_types="BEGIN END self:signal:SIGUSR1 tracepoint: rawtracepoint: interval: profile: software: hardware: uprobe: uretprobe: usdt: kprobe: kretprobe: kfunc: kretfunc: fentry: fexit:"

# The strobe being completed (./build/strobe, or strobe in PATH).
_strobe_bin()
{
	local b=${COMP_WORDS[0]}
	b=${b/#\~/$HOME}
	if [[ $b == */* && -x $b ]]; then
		printf '%s\n' "$b"
	else
		command -v strobe
	fi
}

# The installed tools directory: PREFIX/share/strobe/tools next to PREFIX/bin/strobe.
_strobe_tools_dir()
{
	local b
	b=$(_strobe_bin) || return
	b=$(readlink -f "$b" 2>/dev/null) || return
	local d=${b%/*}/../share/strobe/tools
	[[ -d $d ]] || d=${b%/*}/../tools # the build tree: build/strobe -> tools/
	[[ -d $d ]] && (cd "$d" && pwd)
}

# Probe specs: a type, or the probes `strobe -l` lists for what is typed so far.
# The word is taken whole (':' splits words in COMP_WORDBREAKS) and the
# replies are trimmed to what follows the last ':' bash considers.
_strobe_probes()
{
	local line=${COMP_LINE:0:COMP_POINT} word
	word=${line##*[[:space:]]}
	word=${word#[\'\"]}
	local -a matches
	if [[ $word != *:* ]]; then
		matches=($(compgen -W "$_strobe_types" -- "$word"))
		compopt -o nospace 2>/dev/null
	else
		local bin
		bin=$(_strobe_bin) || return
		matches=($("$bin" -l "${word}*" 2>/dev/null | head -500))
	fi
	if [[ $word == *:* && $COMP_WORDBREAKS == *:* ]]; then
		local colon=${word%:*}:
		matches=("${matches[@]#"$colon"}")
	fi
	COMPREPLY=("${matches[@]}")
}

_strobe()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	# "-l tracepoint:sched:" arrives as several words around ':'
	local i=$COMP_CWORD
	while ((i > 1)) && [[ ${COMP_WORDS[i-1]} == : || ${COMP_WORDS[i]} == : || ${COMP_WORDS[i-1]} == *: ]]; do
		((i--))
	done
	((i != COMP_CWORD)) && prev=${COMP_WORDS[i-1]}
	COMPREPLY=()

	case $prev in
	-B)
		COMPREPLY=($(compgen -W "line full none" -- "$cur"))
		return ;;
	-f)
		if [[ $cur == lua:* ]]; then
			local f=${cur#lua:}
			COMPREPLY=($(compgen -f -X '!*.lua' -- "$f") $(compgen -d -- "$f"))
			[[ $COMP_WORDBREAKS != *:* ]] && COMPREPLY=("${COMPREPLY[@]/#/lua:}")
		else
			COMPREPLY=($(compgen -W "text json lua:" -- "$cur"))
			[[ ${COMPREPLY[0]} == lua: ]] && compopt -o nospace 2>/dev/null
		fi
		return ;;
	-d)
		COMPREPLY=($(compgen -W "ast types codegen codegen-opt ir all" -- "$cur"))
		return ;;
	-p)
		COMPREPLY=($(compgen -W "$(cd /proc && printf '%s ' [0-9]*)" -- "$cur"))
		return ;;
	-c)
		COMPREPLY=($(compgen -c -- "$cur"))
		return ;;
	-o | --emit-elf | --emit-llvm | --include)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	-I)
		COMPREPLY=($(compgen -d -- "$cur"))
		return ;;
	-l)
		_strobe_probes
		return ;;
	-e)
		return ;;
	esac

	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$_strobe_opts" -- "$cur"))
		return
	fi
	# a program is given already (-e or a file): the rest are its arguments
	local w
	for ((w = 1; w < COMP_CWORD; w++)); do
		case ${COMP_WORDS[w]} in
		-e) return ;;
		-B | -f | -o | -p | -c | -d | -I | --emit-elf | --emit-llvm | --include) ((w++)) ;;
		-*) ;;
		*) [[ -f ${COMP_WORDS[w]} ]] && return ;;
		esac
	done
	# script files, and the installed tools by name
	local dir t
	COMPREPLY=($(compgen -f -X '!*.bt' -- "$cur") $(compgen -d -- "$cur"))
	if [[ $cur != */* ]] && dir=$(_strobe_tools_dir); then
		for t in "$dir"/"$cur"*.bt; do
			[[ -f $t ]] && COMPREPLY+=("$t")
		done
	fi
}

complete -o filenames -F _strobe strobe
