/*
 * The SVG flame graph of -f flamegraph: one self-contained file, no network.
 * Every frame is a <g class="f"> holding its <title> (name, samples,
 * percentage), a <rect> and a <text>, with its position in samples
 * (data-s, data-v) and its depth (data-d), so the embedded script can zoom
 * (click a frame; "Reset Zoom"), search (a regular expression; matches turn
 * purple and the matched share is shown) and show the frame under the mouse;
 * out.svg?zoom=NAME&s=REGEX opens zoomed on the widest frame NAME and searched.
 * Widths are proportional to counts; the root ("all") is at the bottom.
 * Frames narrower than 0.1 pixel are left out, as flamegraph.pl does.
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "flame.h"

#define SVG_WIDTH 1200
#define SVG_PAD 10
#define FRAME_H 16
#define SVG_TOP 48
#define SVG_BOTTOM 32
#define MIN_WIDTH 0.1
#define STR_(x) #x
#define STR(x) STR_(x)

/* An open frame while the sorted stacks are walked. */
struct open_frame {
	const char *name;
	size_t len;
	uint64_t start, value;
};

static void xml_text(FILE *fp, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '&':
			fputs("&amp;", fp);
			break;
		case '<':
			fputs("&lt;", fp);
			break;
		case '>':
			fputs("&gt;", fp);
			break;
		case '"':
			fputs("&quot;", fp);
			break;
		default:
			/* XML 1.0 allows no control characters but tab, LF, CR */
			if ((unsigned char)s[i] < 0x20 && s[i] != '\t')
				fputc(' ', fp);
			else
				fputc(s[i], fp);
		}
	}
}

/* flamegraph.pl's "hot" palette, from a hash of the name so a function keeps its colour. */
static void frame_color(const char *name, size_t len, int *r, int *g, int *b)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	*r = 205 + (int)(h % 51);
	*g = (int)((h >> 8) % 231);
	*b = (int)((h >> 16) % 56);
}

static void emit_frame(FILE *fp, const struct open_frame *f, int depth, int maxdepth, uint64_t total)
{
	double scale = (double)(SVG_WIDTH - 2 * SVG_PAD) / (double)total;
	double w = (double)f->value * scale;
	if (w < MIN_WIDTH)
		return;
	double x = SVG_PAD + (double)f->start * scale;
	int y = SVG_TOP + (maxdepth - depth) * FRAME_H;
	int r, g, b;
	frame_color(f->name, f->len, &r, &g, &b);
	fprintf(fp, "<g class=\"f\" data-s=\"%" PRIu64 "\" data-v=\"%" PRIu64 "\" data-d=\"%d\"><title>", f->start,
		f->value, depth);
	xml_text(fp, f->name, f->len);
	fprintf(fp, " (%" PRIu64 " samples, %.2f%%)</title><rect x=\"%.2f\" y=\"%d\" width=\"%.2f\" height=\"%d\" "
		    "fill=\"rgb(%d,%d,%d)\" rx=\"2\"/><text x=\"%.2f\" y=\"%d\"></text></g>\n",
		f->value, 100.0 * (double)f->value / (double)total, x, y, w, FRAME_H - 1, r, g, b, x + 3,
		y + FRAME_H - 5);
}

/* The frame of a stack at position *p: its name and length; *p moves past it. */
static bool next_frame(const char **p, const char **name, size_t *len)
{
	if (!**p)
		return false;
	const char *semi = strchr(*p, ';');
	*name = *p;
	*len = semi ? (size_t)(semi - *p) : strlen(*p);
	*p = semi ? semi + 1 : *p + *len;
	return true;
}

static const char svg_script[] =
	"<script type=\"text/ecmascript\"><![CDATA[\n"
	"'use strict';\n"
	"var W=" STR(SVG_WIDTH) ",PAD=" STR(SVG_PAD) ",frames=[],details,matchedText,searchRe=null,zoomTo=null;\n"
	"function num(g,a){return +g.getAttribute(a);}\n"
	"function init(){\n"
	" details=document.getElementById('details');matchedText=document.getElementById('matched');\n"
	" var gs=document.querySelectorAll('g.f');\n"
	" for(var i=0;i<gs.length;i++){var g=gs[i],t=g.querySelector('title').textContent;\n"
	"  frames.push({g:g,s:num(g,'data-s'),v:num(g,'data-v'),d:num(g,'data-d'),name:t.replace(/ \\([^(]*\\)$/,''),\n"
	"   title:t,rect:g.querySelector('rect'),text:g.querySelector('text')});\n"
	"  g.onclick=click;g.onmouseover=over;g.onmouseout=out;}\n"
	" document.getElementById('reset').onclick=function(){zoom(null);};\n"
	" document.getElementById('search').onclick=function(){search(prompt('Search frames (regular expression)',''));};\n"
	" document.getElementById('clear').onclick=function(){search(null);};\n"
	" zoom(null);\n"
	" var q=new URLSearchParams(location.search),z=q.get('zoom');\n" /* ?zoom=NAME&s=REGEX, as links can share */
	" if(z){var best=null;frames.forEach(function(x){if(x.name===z&&(!best||x.v>best.v))best=x;});if(best)zoom(best);}\n"
	" if(q.get('s'))search(q.get('s'));\n"
	"}\n"
	"function frameOf(g){for(var i=0;i<frames.length;i++)if(frames[i].g===g)return frames[i];return null;}\n"
	"function click(e){zoom(frameOf(e.currentTarget));}\n"
	"function over(e){details.textContent=frameOf(e.currentTarget).title;}\n"
	"function out(){details.textContent=' ';}\n"
	"function fit(name,w){var n=Math.floor((w-6)/7);if(n<3)return '';return name.length<=n?name:name.substring(0,n-2)+'..';}\n"
	"function zoom(f){\n"
	" zoomTo=f;var root=frames.filter(function(x){return x.d===0;})[0];var z=f||root;if(!z)return;\n"
	" var scale=(W-2*PAD)/z.v;\n"
	" document.getElementById('reset').style.display=f&&f!==root?'':'none';\n"
	" frames.forEach(function(x){\n"
	"  var under=x.d>=z.d&&x.s>=z.s&&x.s+x.v<=z.s+z.v,above=x.d<z.d&&x.s<=z.s&&x.s+x.v>=z.s+z.v;\n"
	"  var left,w;\n"
	"  if(under){left=PAD+(x.s-z.s)*scale;w=x.v*scale;}else if(above){left=PAD;w=W-2*PAD;}else w=0;\n"
	"  if(w<0.5){x.g.style.display='none';return;}\n"
	"  x.g.style.display='';x.g.style.opacity=above?'0.5':'';\n"
	"  x.rect.setAttribute('x',left.toFixed(2));x.rect.setAttribute('width',w.toFixed(2));\n"
	"  x.text.setAttribute('x',(left+3).toFixed(2));x.text.textContent=fit(x.name,w);});\n"
	"}\n"
	"function search(term){\n"
	" if(term===undefined)return;\n"
	" searchRe=null;if(term){try{searchRe=new RegExp(term);}catch(e){alert('Bad regular expression: '+e.message);return;}}\n"
	" var spans=[],root=frames.filter(function(x){return x.d===0;})[0];\n"
	" frames.forEach(function(x){\n"
	"  if(!x.rect.hasAttribute('data-fill'))x.rect.setAttribute('data-fill',x.rect.getAttribute('fill'));\n"
	"  var hit=searchRe&&searchRe.test(x.name);\n"
	"  x.rect.setAttribute('fill',hit?'rgb(230,0,230)':x.rect.getAttribute('data-fill'));\n"
	"  if(hit)spans.push([x.s,x.s+x.v]);});\n"
	" spans.sort(function(a,b){return a[0]-b[0];});var sum=0,end=-1;\n"
	" spans.forEach(function(s){if(s[0]>=end){sum+=s[1]-s[0];end=s[1];}else if(s[1]>end){sum+=s[1]-end;end=s[1];}});\n"
	" matchedText.textContent=searchRe&&root?'Matched: '+(100*sum/root.v).toFixed(1)+'%':' ';\n"
	" document.getElementById('clear').style.display=searchRe?'':'none';\n"
	"}\n"
	"window.addEventListener('load',init);\n"
	"]]></script>\n";

int svg_write(FILE *fp, const char *title, const struct fold *folds, size_t n)
{
	uint64_t total = 0;
	int maxdepth = 0;
	for (size_t i = 0; i < n; i++) {
		total += folds[i].count;
		int depth = 1;
		for (const char *p = folds[i].stack; *p; p++)
			depth += *p == ';';
		if (depth > maxdepth)
			maxdepth = depth;
	}
	int height = SVG_TOP + (maxdepth + 1) * FRAME_H + SVG_BOTTOM;
	fprintf(fp,
		"<?xml version=\"1.0\" standalone=\"no\"?>\n"
		"<svg version=\"1.1\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
		"xmlns=\"http://www.w3.org/2000/svg\">\n"
		"<style>text{font-family:Verdana,sans-serif;font-size:12px;fill:#000}"
		"g.f:hover rect{stroke:#000;stroke-width:0.5}g.f{cursor:pointer}"
		".ui{cursor:pointer;fill:#333}#title{font-size:17px;text-anchor:middle}</style>\n"
		"<rect x=\"0\" y=\"0\" width=\"100%%\" height=\"100%%\" fill=\"#f8f8f8\"/>\n"
		"<text id=\"title\" x=\"%d\" y=\"24\">",
		SVG_WIDTH, height, SVG_WIDTH, height, SVG_WIDTH / 2);
	xml_text(fp, title, strlen(title));
	fprintf(fp,
		"</text>\n"
		"<text id=\"reset\" class=\"ui\" x=\"%d\" y=\"24\" style=\"display:none\">Reset Zoom</text>\n"
		"<text id=\"search\" class=\"ui\" x=\"%d\" y=\"24\">Search</text>\n"
		"<text id=\"clear\" class=\"ui\" x=\"%d\" y=\"24\" style=\"display:none\">Clear</text>\n"
		"<text id=\"matched\" x=\"%d\" y=\"%d\"> </text>\n"
		"<text id=\"details\" x=\"%d\" y=\"%d\"> </text>\n",
		SVG_PAD, SVG_WIDTH - 110, SVG_WIDTH - 50, SVG_WIDTH - 110, height - 10, SVG_PAD, height - 10);

	/* Walk the sorted stacks keeping the open path; a frame is drawn when it closes. */
	struct open_frame *path = calloc((size_t)maxdepth + 1, sizeof(*path));
	if (!path)
		return -1;
	if (total) {
		path[0] = (struct open_frame){ "all", 3, 0, total };
		int open = 1; /* path[0..open) */
		uint64_t at = 0;
		for (size_t i = 0; i < n; i++) {
			const char *p = folds[i].stack, *name;
			size_t len;
			int d = 1;
			/* the frames this stack shares with the open path */
			while (d < open && next_frame(&p, &name, &len) &&
			       (len == path[d].len && !memcmp(name, path[d].name, len)))
				d++;
			if (d < open) { /* the frame at d differs: reread it below */
				p = folds[i].stack;
				for (int k = 1; k < d; k++)
					next_frame(&p, &name, &len);
			}
			while (open > d) {
				open--;
				emit_frame(fp, &path[open], open, maxdepth, total);
			}
			while (next_frame(&p, &name, &len))
				path[open++] = (struct open_frame){ name, len, at, 0 };
			for (int k = 1; k < open; k++)
				path[k].value += folds[i].count;
			at += folds[i].count;
		}
		while (open > 0) {
			open--;
			emit_frame(fp, &path[open], open, maxdepth, total);
		}
	}
	free(path);
	fputs(svg_script, fp);
	fputs("</svg>\n", fp);
	return fflush(fp) == 0 && !ferror(fp) ? 0 : -1;
}
