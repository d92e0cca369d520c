/**
 * HTML of the demo site: Moodle-shaped pages (the `M.cfg` JS config with `"sesskey":"…"`, the login
 * form `id="login"`, `loginerrormessage`, the performance footer) padded with realistic course and
 * forum markup up to a configured size.
 */
import { escapeHtml } from "../util/html.ts";

export interface PageParts {
  /** Site URL without trailing slash (`$CFG->wwwroot`). */
  wwwroot: string;
  title: string;
  /** `<body id=…>`, e.g. "page-course-view-topics". */
  bodyId: string;
  sesskey: string;
  /** Full name of the logged-in user, or undefined for a logged-out page. */
  userFullName?: string;
  userId?: number;
  /** The page's own content. */
  main: string;
  /** Kind of realistic padding ("course", "forum", "page", "dashboard", "login"). */
  fillKind: string;
  /** Total size the page should reach (padding is added until then; 0 = no padding). */
  targetBytes: number;
  /** The performance footer, rendered last so that the time used is real. */
  perfFooter?: () => string;
}

const jsonUrl = (url: string): string => url.replaceAll("/", "\\/");

function head(p: PageParts): string {
  const cfg =
    `{"wwwroot":"${jsonUrl(p.wwwroot)}","homeurl":{},"sesskey":"${p.sesskey}","sessiontimeout":"28800",` +
    `"sessiontimeoutwarning":"1200","themerev":"1700000000","slasharguments":1,"theme":"boost",` +
    `"iconsystemmodule":"core\\/icon_system_fontawesome","jsrev":"1700000000","admin":"admin",` +
    `"svgicons":true,"usertimezone":"Europe\\/London","language":"en","courseId":1,"courseContextId":2,` +
    `"contextid":2,"contextInstanceId":1,"langrev":1700000000,"templaterev":"1700000000","siteId":1,` +
    `"userId":${p.userId ?? 0}}`;
  return `<!DOCTYPE html>\n<html dir="ltr" lang="en" xml:lang="en">\n<head>\n` +
    `<title>${escapeHtml(p.title)}</title>\n` +
    `<link rel="shortcut icon" href="${p.wwwroot}/theme/image.php/boost/theme/1700000000/favicon" />\n` +
    `<meta http-equiv="Content-Type" content="text/html; charset=utf-8" />\n` +
    `<meta name="viewport" content="width=device-width, initial-scale=1.0">\n` +
    `<link rel="stylesheet" type="text/css" href="${p.wwwroot}/theme/styles.php/boost/1700000000_1/all" />\n` +
    `<script>\n//<![CDATA[\nvar M = {}; M.yui = {};\nM.pageloadstarttime = new Date();\nM.cfg = ${cfg};\n` +
    `var yui1ConfigFn = function(me) {if(/-skin|reset|fonts|grids|base/.test(me.name)){me.type='css';me.path=me.path.replace(/\\.js/,'.css');me.path=me.path.replace(/\\/yui2-skin/,'/assets/skins/sam/yui2-skin')}};\n` +
    `//]]>\n</script>\n</head>\n`;
}

function navbar(p: PageParts): string {
  const user = p.userFullName
    ? `<div class="usermenu"><span class="userbutton"><span class="usertext mr-1">${
      escapeHtml(p.userFullName)
    }</span></span>` +
      `<a href="${p.wwwroot}/login/logout.php?sesskey=${p.sesskey}" class="dropdown-item">Log out</a></div>`
    : `<div class="usermenu"><span class="login pl-2">You are not logged in. (<a href="${p.wwwroot}/login/index.php">Log in</a>)</span></div>`;
  return `<nav class="navbar fixed-top navbar-light bg-white navbar-expand" aria-label="Site navigation">` +
    `<a href="${p.wwwroot}/" class="navbar-brand d-none d-md-flex align-items-center m-0 mr-4 p-0 aabtn">Moodle demo</a>` +
    `<div class="primary-navigation"><nav class="moremenu navigation"><ul role="menubar" class="nav more-nav navbar-nav">` +
    `<li data-key="home" class="nav-item"><a role="menuitem" class="nav-link" href="${p.wwwroot}/">Home</a></li>` +
    `<li data-key="myhome" class="nav-item"><a role="menuitem" class="nav-link" href="${p.wwwroot}/my/">Dashboard</a></li>` +
    `<li data-key="mycourses" class="nav-item"><a role="menuitem" class="nav-link" href="${p.wwwroot}/my/courses.php">My courses</a></li>` +
    `</ul></nav></div>${user}</nav>\n`;
}

const WORDS =
  ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore " +
    "et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris nisi aliquip ex ea " +
    "commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat nulla pariatur " +
    "excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim id est laborum")
    .split(" ");

function sentence(seed: number, words: number): string {
  let out = "";
  for (let i = 0; i < words; i++) {
    out += (i ? " " : "") + WORDS[(seed * 31 + i * 17 + (i * i) % 7) % WORDS.length];
  }
  return out.charAt(0).toUpperCase() + out.slice(1) + ".";
}

function fillBlock(kind: string, i: number, wwwroot: string): string {
  switch (kind) {
    case "forum":
      return `<article id="p${1000 + i}" class="forum-post-container mb-2" data-post-id="${1000 + i}">` +
        `<div class="d-flex border p-2 mb-2 forumpost focus-target" tabindex="-1">` +
        `<div class="d-flex flex-column w-100"><header class="mb-2 header row d-flex">` +
        `<h4 class="h6 d-inline-block mb-0" data-region-content="forum-post-core-subject">Re: ${
          sentence(i, 4)
        }</h4>` +
        `<div class="mb-3" tabindex="-1">by <a href="${wwwroot}/user/view.php?id=${
          i + 3
        }&amp;course=2">Student ${i % 97}</a> - <time datetime="2024-03-0${(i % 9) + 1}T10:${
          String(i % 60).padStart(2, "0")
        }:00+00:00">` +
        `Monday, ${(i % 28) + 1} March 2024, 10:${String(i % 60).padStart(2, "0")} AM</time></div></header>` +
        `<div class="body-content-container"><div class="post-content-container"><p>${
          sentence(i, 40)
        }</p><p>${sentence(i + 7, 28)}</p></div></div>` +
        `<div class="d-flex flex-wrap"><a data-region="post-action" href="${wwwroot}/mod/forum/post.php?reply=${
          1000 + i
        }#mformforum" class="btn btn-link" title="Reply">Reply</a></div></div></div></article>\n`;
    case "course":
    case "dashboard":
      return `<li class="activity activity-wrapper modtype_${
        ["page", "forum", "quiz", "resource", "assign"][i % 5]
      } hasinfo" id="module-${100 + i}" data-for="cmitem" data-id="${100 + i}">` +
        `<div class="activity-item focus-control" data-activityname="${
          sentence(i, 3)
        }" data-region="activity-card">` +
        `<div class="activity-basis d-flex align-items-center"><div class="activity-icon activityiconcontainer smaller content courseicon align-self-start mr-2">` +
        `<img src="${wwwroot}/theme/image.php/boost/page/1700000000/monologo?filtericon=1" class="activityicon" alt="" /></div>` +
        `<div class="activity-name-area activity-instance d-flex flex-column mr-2"><div class="activitytitle modtype_page position-relative align-self-start">` +
        `<a href="${wwwroot}/mod/page/view.php?id=${100 + i}" class="aalink stretched-link">` +
        `<span class="instancename">${
          sentence(i, 3)
        } <span class="accesshide "> Page</span></span></a></div></div></div>` +
        `<div class="description"><div class="activity-altcontent contentafterlink"><div class="no-overflow"><p>${
          sentence(i, 30)
        }</p></div></div></div></div></li>\n`;
    default:
      return `<p dir="ltr" style="text-align: left;">${sentence(i, 60)}</p>\n<p>${sentence(i + 3, 45)}</p>\n`;
  }
}

/** Per kind and site: the padding generated so far, and where each block ends. */
const fillCache = new Map<string, { text: string; ends: number[] }>();

/**
 * Realistic markup of at most `bytes` bytes (ASCII), ending on a block boundary. Generated once per
 * kind and site and then sliced (O(1) in V8), so pages of any size cost no generation per request.
 */
export function filler(kind: string, bytes: number, wwwroot: string): string {
  if (bytes <= 0) return "";
  const key = `${kind}|${wwwroot}`;
  let cached = fillCache.get(key);
  if (!cached || cached.text.length < bytes) {
    const parts: string[] = cached ? [cached.text] : [];
    const ends = cached ? cached.ends : [];
    let size = cached ? cached.text.length : 0;
    for (let i = ends.length; size < bytes; i++) {
      const block = fillBlock(kind, i, wwwroot);
      parts.push(block);
      size += block.length;
      ends.push(size);
    }
    if (fillCache.size > 64) fillCache.clear();
    cached = { text: parts.join(""), ends };
    fillCache.set(key, cached);
  }
  // The last block end that fits.
  const ends = cached.ends;
  let lo = 0;
  let hi = ends.length - 1;
  let fit = 0;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (ends[mid] <= bytes) {
      fit = ends[mid];
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return cached.text.slice(0, fit);
}

const TRAILING_SCRIPT =
  `<script>\n//<![CDATA[\nvar require = { baseUrl : 'requirejs.php/1700000000/', enforceDefine: true, skipDataMain: true, waitSeconds : 0 };\n` +
  `M.util.js_pending('core/first');\nrequire(['core/first'], function() { require(['core/prefetch']); ` +
  `M.util.js_complete('core/first'); });\n//]]>\n</script>\n`;

/** A full page: head, navigation, content, padding, footer (with perf figures), scripts. */
export function renderPage(p: PageParts): string {
  const top = head(p) +
    // Moodle adds `notloggedin` to the body of every page rendered for a visitor.
    `<body id="${p.bodyId}" class="limitedwidth format-site path-site chrome dir-ltr lang-en yui-skin-sam${
      p.userId === undefined ? " notloggedin" : ""
    }">\n` +
    `<div id="page-wrapper" class="d-print-block">\n${
      navbar(p)
    }<div id="page" data-region="mainpage" class="drawers">` +
    `<div id="topofscroll" class="main-inner"><div id="page-content" class="pb-3 d-print-block">` +
    `<div id="region-main-box"><section id="region-main" aria-label="Content">\n<h2>${
      escapeHtml(p.title)
    }</h2>\n` +
    p.main + "\n";
  const bottomStart =
    `</section></div></div></div></div>\n<footer id="page-footer" class="footer-popover bg-white">` +
    `<div class="footer-content-popover container" data-region="footer-content-popover">`;
  const bottomEnd = `<div class="logininfo">${
    p.userFullName ? `You are logged in as ${escapeHtml(p.userFullName)}` : "You are not logged in."
  }</div></div></footer>\n</div>\n${TRAILING_SCRIPT}</body>\n</html>\n`;
  const perf = p.perfFooter ? p.perfFooter() : "";
  const fixed = top.length + bottomStart.length + perf.length + bottomEnd.length;
  const pad = filler(p.fillKind, p.targetBytes - fixed, p.wwwroot);
  return top + pad + bottomStart + perf + bottomEnd;
}

/** The login form (theme boost, 4.x) with the session's token; `error` fills `loginerrormessage`. */
export function loginFormHtml(wwwroot: string, token: string, error?: string): string {
  const errorBlock = error
    ? `<div class="alert alert-danger" role="alert" id="loginerrormessage">${escapeHtml(error)}</div>\n`
    : "";
  return `<div class="loginform">\n${errorBlock}` +
    `<form class="login-form" action="${wwwroot}/login/index.php" method="post" id="login">\n` +
    `<input id="anchor" type="hidden" name="anchor" value="">\n` +
    `<script>document.getElementById('anchor').value = location.hash;</script>\n` +
    `<input type="hidden" name="logintoken" value="${token}">\n` +
    `<div class="login-form-username mb-3"><label for="username" class="sr-only">Username</label>` +
    `<input type="text" name="username" id="username" class="form-control form-control-lg" value="" placeholder="Username" autocomplete="username"></div>\n` +
    `<div class="login-form-password mb-3"><label for="password" class="sr-only">Password</label>` +
    `<input type="password" name="password" id="password" value="" class="form-control form-control-lg" placeholder="Password" autocomplete="current-password"></div>\n` +
    `<div class="login-form-submit"><button class="btn btn-primary btn-lg" type="submit" id="loginbtn">Log in</button></div>\n` +
    `<div class="login-form-forgotpassword mb-3"><a href="${wwwroot}/login/forgot_password.php">Lost password?</a></div>\n` +
    `</form>\n</div>\n`;
}
