/*
 * The Lua filter (-f lua:hooks.lua[,json]): calls functions of a user
 * script for each record, with structured values, in front of the text or
 * JSON sink. docs/lua-hooks.md is the user's guide.
 *
 *	on_start(info)              info = { probes = N, format = "text", script = "hooks.lua" }
 *	on_printf(fmt_id, text, args)   args: the typed printf arguments, 1-based
 *	on_map(name, entries, kind) entries: { {key = K, value = V}, ... } in print order
 *	on_value(v), on_time(text), on_lost(n), on_end()
 *
 * A hook that returns false suppresses the default printing of that record
 * by the sinks chained behind (anything else lets it through). print() and
 * io.write() go to the output stream (stdout or -o FILE). An error, at load
 * time or in a hook, is reported as "file:line: message" and ends the run
 * with a non-zero status.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include <lua5.4/lauxlib.h>
#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>

#include <strobe/output.h>

struct lua_sink {
	FILE *fp;
	lua_State *L;
	const struct strobe_host *host;
	const struct strobe_output_ctl *ctl;
	char *script;
	bool dead; /* an error happened: no more hooks */
};

/* The sink, for the C functions the script calls. */
static const char SINK_KEY[] = "strobe.sink";

static void sink_log_error(const struct strobe_host *host, const char *msg)
{
	if (host && host->log)
		host->log(STROBE_LOG_ERROR, "%s", msg);
	else
		fprintf(stderr, "ERROR: %s\n", msg);
}

static struct lua_sink *sink_of(lua_State *L)
{
	lua_getfield(L, LUA_REGISTRYINDEX, SINK_KEY);
	struct lua_sink *s = lua_touserdata(L, -1);
	lua_pop(L, 1);
	return s;
}

/* print(...): like Lua's, but to the output stream. */
static int l_print(lua_State *L)
{
	struct lua_sink *s = sink_of(L);
	int n = lua_gettop(L);
	for (int i = 1; i <= n; i++) {
		size_t len;
		const char *str = luaL_tolstring(L, i, &len);
		if (i > 1)
			fputc('\t', s->fp);
		fwrite(str, 1, len, s->fp);
		lua_pop(L, 1);
	}
	fputc('\n', s->fp);
	return 0;
}

/* The output stream as a Lua file that Lua must not close. */
static int l_noclose(lua_State *L)
{
	luaL_Stream *p = (luaL_Stream *)luaL_checkudata(L, 1, LUA_FILEHANDLE);
	p->closef = l_noclose;
	luaL_pushfail(L);
	lua_pushliteral(L, "cannot close the strobe output stream");
	return 2;
}

/* io.output(<the output stream>), so io.write() goes there too. */
static void redirect_io(lua_State *L, FILE *fp)
{
	luaL_Stream *p = (luaL_Stream *)lua_newuserdatauv(L, sizeof(luaL_Stream), 0);
	p->closef = NULL;
	luaL_setmetatable(L, LUA_FILEHANDLE);
	p->f = fp;
	p->closef = l_noclose;
	int h = lua_gettop(L);
	lua_getglobal(L, "io");
	lua_getfield(L, -1, "output");
	lua_pushvalue(L, h);
	lua_call(L, 1, 0);
	lua_pop(L, 2); /* io, the handle */
}

/* ---- values ---------------------------------------------------------- */

static void push_addr(lua_State *L, uint64_t addr)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "0x%" PRIx64, addr);
	lua_pushstring(L, buf);
}

static void push_value(lua_State *L, const struct strobe_value *v);

static void push_list(lua_State *L, const struct strobe_value_list *l)
{
	lua_createtable(L, l->n > INT32_MAX ? 0 : (int)l->n, 0);
	for (size_t i = 0; i < l->n; i++) {
		push_value(L, &l->items[i]);
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* A record: a table keyed by field name ({a = 1, b = {c = 2}}). */
static void push_record(lua_State *L, const struct strobe_value_list *l)
{
	lua_createtable(L, 0, l->n > INT32_MAX ? 0 : (int)l->n);
	for (size_t i = 0; i < l->n; i++) {
		if (!l->names || !l->names[i] || !l->names[i][0])
			continue;
		push_value(L, &l->items[i]);
		lua_setfield(L, -2, l->names[i]);
	}
}

static void push_int_field(lua_State *L, const char *name, int64_t v)
{
	lua_pushinteger(L, (lua_Integer)v);
	lua_setfield(L, -2, name);
}

static void push_uint(lua_State *L, uint64_t u)
{
	if (u <= (uint64_t)INT64_MAX)
		lua_pushinteger(L, (lua_Integer)u);
	else
		lua_pushnumber(L, (lua_Number)u); /* past int64: a float */
}

/* Buckets as closed intervals {min=, max=, count=}, as in the JSON output. */
static void push_hist(lua_State *L, const struct strobe_hist *h)
{
	lua_createtable(L, h->n > INT32_MAX ? 0 : (int)h->n, 0);
	for (size_t i = 0; i < h->n; i++) {
		const struct strobe_bucket *b = &h->buckets[i];
		lua_createtable(L, 0, 3);
		if (!b->underflow)
			push_int_field(L, "min", b->lo);
		if (!b->overflow)
			push_int_field(L, "max", b->hi == INT64_MAX ? INT64_MAX : b->hi - 1);
		push_uint(L, b->count);
		lua_setfield(L, -2, "count");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
}

/* tseries(): { {interval_start = ns since the epoch, value = v}, ... }, the intervals with a value. */
static void push_tseries(lua_State *L, const struct strobe_tseries *t)
{
	lua_createtable(L, (int)t->n, 0);
	lua_Integer k = 1;
	for (size_t i = 0; i < t->n; i++) {
		if (!t->points[i].present)
			continue;
		lua_createtable(L, 0, 2);
		push_uint(L, t->points[i].start_ns);
		lua_setfield(L, -2, "interval_start");
		push_int_field(L, "value", t->points[i].value);
		lua_rawseti(L, -2, k++);
	}
}

static void push_value(lua_State *L, const struct strobe_value *v)
{
	luaL_checkstack(L, 8, "value nested too deeply");
	switch (v->kind) {
	case STROBE_V_NONE:
		lua_pushnil(L);
		break;
	case STROBE_V_INT:
		lua_pushinteger(L, (lua_Integer)v->i);
		break;
	case STROBE_V_UINT:
		push_uint(L, v->u);
		break;
	case STROBE_V_BOOL:
		lua_pushboolean(L, v->u != 0);
		break;
	case STROBE_V_STR:
		lua_pushlstring(L, v->str.s, strnlen(v->str.s, v->str.len));
		break;
	case STROBE_V_BUF:
		lua_pushlstring(L, v->str.s, v->str.len);
		break;
	case STROBE_V_TUPLE:
	case STROBE_V_ARRAY:
	case STROBE_V_STACK:
		push_list(L, &v->list);
		break;
	case STROBE_V_SYM:
		if (v->sym.name)
			lua_pushstring(L, v->sym.name);
		else
			push_addr(L, v->sym.addr);
		break;
	case STROBE_V_STATS:
		if (v->stats.is_avg) {
			lua_pushinteger(L, (lua_Integer)v->stats.average);
		} else {
			lua_createtable(L, 0, 3);
			push_uint(L, v->stats.count);
			lua_setfield(L, -2, "count");
			push_int_field(L, "average", v->stats.average);
			push_int_field(L, "total", v->stats.total);
		}
		break;
	case STROBE_V_HIST:
		push_hist(L, &v->hist);
		break;
	case STROBE_V_RECORD:
		push_record(L, &v->list);
		break;
	case STROBE_V_TSERIES:
		push_tseries(L, &v->tseries);
		break;
	}
}

static const char *map_kind_name(enum strobe_map_kind k)
{
	static const char *const names[] = {
		[STROBE_MAP_VALUE] = "value", [STROBE_MAP_COUNT] = "count", [STROBE_MAP_SUM] = "sum",
		[STROBE_MAP_MIN] = "min",     [STROBE_MAP_MAX] = "max",     [STROBE_MAP_AVG] = "avg",
		[STROBE_MAP_STATS] = "stats", [STROBE_MAP_HIST] = "hist",   [STROBE_MAP_LHIST] = "lhist",
		[STROBE_MAP_TSERIES] = "tseries",
	};
	return (unsigned)k < sizeof(names) / sizeof(names[0]) && names[k] ? names[k] : "value";
}

/* ---- calling hooks --------------------------------------------------- */

/* Push the global function `name`; false (nothing pushed) if there is none. */
static bool hook_begin(struct lua_sink *s, const char *name)
{
	if (s->dead)
		return false;
	if (lua_getglobal(s->L, name) == LUA_TFUNCTION)
		return true;
	lua_pop(s->L, 1);
	return false;
}

static void sink_fail(struct lua_sink *s, const char *msg)
{
	s->dead = true;
	if (s->ctl && s->ctl->fail)
		s->ctl->fail(s->ctl->ctx, msg);
	else
		sink_log_error(s->host, msg);
}

/* Call the hook with nargs arguments; a false result suppresses the record. */
static void hook_call(struct lua_sink *s, const char *name, int nargs)
{
	lua_State *L = s->L;
	if (lua_pcall(L, nargs, 1, 0) != LUA_OK) {
		const char *err = lua_tostring(L, -1);
		char *msg = NULL;
		if (asprintf(&msg, "%s (in %s)", err ? err : "error object is not a string", name) < 0)
			msg = NULL;
		sink_fail(s, msg ? msg : "Lua error");
		free(msg);
		lua_pop(L, 1);
		return;
	}
	bool suppress = lua_isboolean(L, -1) && !lua_toboolean(L, -1);
	lua_pop(L, 1);
	if (suppress && s->ctl && s->ctl->suppress)
		s->ctl->suppress(s->ctl->ctx);
}

/* Push the value inside a protected call: a value too deep must not longjmp past us. */
static int l_push_value(lua_State *L)
{
	push_value(L, lua_touserdata(L, 1));
	return 1;
}

static bool push_value_safe(struct lua_sink *s, const struct strobe_value *v)
{
	lua_pushcfunction(s->L, l_push_value);
	lua_pushlightuserdata(s->L, (void *)v);
	if (lua_pcall(s->L, 1, 1, 0) != LUA_OK) {
		sink_fail(s, lua_tostring(s->L, -1));
		lua_pop(s->L, 1);
		return false;
	}
	return true;
}

/* ---- the sink -------------------------------------------------------- */

static int lua_sink_open(const struct strobe_host *host, FILE *fp, const char *opts, void **out)
{
	if (!opts || !opts[0]) {
		sink_log_error(host, "-f lua needs a script: -f lua:FILE.lua (or -f lua:FILE.lua,json)");
		return -ECANCELED;
	}
	struct lua_sink *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fp = fp;
	s->host = host;
	s->script = strdup(opts);
	s->L = luaL_newstate();
	if (!s->script || !s->L) {
		if (s->L)
			lua_close(s->L);
		free(s->script);
		free(s);
		return -ENOMEM;
	}
	lua_State *L = s->L;
	if (getauxval(AT_SECURE)) {
		/* setuid or file capabilities: as `lua -E`, require() ignores LUA_PATH and
		 * LUA_CPATH (and their _5_4 forms), which would load another's code */
		lua_pushboolean(L, 1);
		lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
	}
	luaL_openlibs(L);
	lua_pushlightuserdata(L, s);
	lua_setfield(L, LUA_REGISTRYINDEX, SINK_KEY);
	lua_pushcfunction(L, l_print);
	lua_setglobal(L, "print");
	redirect_io(L, fp);

	int rc = luaL_loadfilex(L, s->script, "t");
	if (rc == LUA_OK)
		rc = lua_pcall(L, 0, 0, 0);
	if (rc != LUA_OK) {
		const char *err = lua_tostring(L, -1);
		/* luaL_loadfile says "cannot open x.lua" without the reason's prefix: keep it as is. */
		sink_log_error(host, err ? err : "Lua error");
		lua_close(L);
		free(s->script);
		free(s);
		return -ECANCELED;
	}
	*out = s;
	return 0;
}

static void lua_sink_chain(void *sink, const struct strobe_output_ctl *ctl)
{
	struct lua_sink *s = sink;
	s->ctl = ctl;
}

static void lua_sink_attached(void *sink, unsigned nprobes)
{
	struct lua_sink *s = sink;
	if (!hook_begin(s, "on_start"))
		return;
	lua_createtable(s->L, 0, 3);
	lua_pushinteger(s->L, nprobes);
	lua_setfield(s->L, -2, "probes");
	lua_pushstring(s->L, s->ctl && s->ctl->next ? s->ctl->next : "none");
	lua_setfield(s->L, -2, "format");
	lua_pushstring(s->L, s->script);
	lua_setfield(s->L, -2, "script");
	hook_call(s, "on_start", 1);
}

static void lua_sink_printf(void *sink, uint32_t fmt_id, const char *text, size_t len,
			    const struct strobe_value *args, size_t nargs)
{
	struct lua_sink *s = sink;
	if (!hook_begin(s, "on_printf"))
		return;
	lua_State *L = s->L;
	lua_pushinteger(L, fmt_id);
	lua_pushlstring(L, text, len);
	lua_createtable(L, nargs > INT32_MAX ? 0 : (int)nargs, 0);
	for (size_t i = 0; i < nargs; i++) {
		if (!push_value_safe(s, &args[i])) {
			lua_pop(L, 4);
			return;
		}
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	hook_call(s, "on_printf", 3);
}

static void lua_sink_map(void *sink, const struct strobe_map_view *m)
{
	struct lua_sink *s = sink;
	if (!hook_begin(s, "on_map"))
		return;
	lua_State *L = s->L;
	lua_pushstring(L, m->name);
	lua_createtable(L, m->n > INT32_MAX ? 0 : (int)m->n, 0);
	for (size_t i = 0; i < m->n; i++) {
		lua_createtable(L, 0, 2);
		if (m->entries[i].key.kind != STROBE_V_NONE) {
			if (!push_value_safe(s, &m->entries[i].key)) {
				lua_pop(L, 4);
				return;
			}
			lua_setfield(L, -2, "key");
		}
		if (!push_value_safe(s, &m->entries[i].value)) {
			lua_pop(L, 4);
			return;
		}
		lua_setfield(L, -2, "value");
		lua_rawseti(L, -2, (lua_Integer)i + 1);
	}
	lua_pushstring(L, map_kind_name(m->kind));
	hook_call(s, "on_map", 3);
}

static void lua_sink_value(void *sink, const struct strobe_value *v)
{
	struct lua_sink *s = sink;
	if (!hook_begin(s, "on_value"))
		return;
	if (!push_value_safe(s, v)) {
		lua_pop(s->L, 1);
		return;
	}
	hook_call(s, "on_value", 1);
}

static void lua_sink_time(void *sink, const char *text, size_t len)
{
	struct lua_sink *s = sink;
	if (!hook_begin(s, "on_time"))
		return;
	lua_pushlstring(s->L, text, len);
	hook_call(s, "on_time", 1);
}

static void lua_sink_lost(void *sink, uint64_t nevents)
{
	struct lua_sink *s = sink;
	if (!hook_begin(s, "on_lost"))
		return;
	push_uint(s->L, nevents);
	hook_call(s, "on_lost", 1);
}

static void lua_sink_close(void *sink)
{
	struct lua_sink *s = sink;
	if (!s)
		return;
	if (hook_begin(s, "on_end"))
		hook_call(s, "on_end", 0);
	fflush(s->fp);
	lua_close(s->L);
	free(s->script);
	free(s);
}

static const struct strobe_output_ops lua_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = sizeof(struct strobe_output_ops),
	.name = "lua",
	.open = lua_sink_open,
	.attached = lua_sink_attached,
	.printf = lua_sink_printf,
	.map = lua_sink_map,
	.value = lua_sink_value,
	.lost = lua_sink_lost,
	.close = lua_sink_close,
	.time = lua_sink_time,
	.chain = lua_sink_chain,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &lua_ops;
}
