// The read-only "sandbox UI": an HTML page listing the accounts and each account's posts (newest first) with their
// counts and comments, and a page per post (the target of post URLs). All user text is HTML-escaped.
import type { Platform } from './platform.js';
import type { Post } from './state.js';

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const STYLE = `body{font:15px/1.4 system-ui,sans-serif;margin:2rem auto;max-width:48rem;padding:0 1rem;color:#222}
h2{border-bottom:1px solid #ddd;padding-bottom:.3rem}article{border:1px solid #ddd;border-radius:6px;padding:.6rem .8rem;margin:.6rem 0}
article.deleted{opacity:.5}.meta,.counts{color:#666;font-size:.85em}.text{white-space:pre-wrap;margin:.3rem 0}
ul.comments{margin:.4rem 0 0;padding-left:1.2rem}.reported{color:#b00}`;

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><meta http-equiv="refresh" content="10">
<style>${STYLE}</style></head>
<body>${body}</body></html>
`;
}

function renderPost(platform: Platform, post: Post): string {
  const m = post.metrics;
  const comments = platform.commentsOf(post.id);
  const reply = post.replyTo
    ? ` · reply to comment <code>${escapeHtml(post.replyTo.commentId)}</code> on <a href="/posts/${encodeURIComponent(post.replyTo.postId)}">${escapeHtml(post.replyTo.postId)}</a>`
    : '';
  const items = comments
    .map(
      (c) =>
        `<li data-comment-id="${escapeHtml(c.id)}"><strong>${escapeHtml(c.author)}</strong>: ${escapeHtml(c.text)}` +
        `${c.reported ? ' <span class="reported">(reported)</span>' : ''} <span class="meta">${escapeHtml(c.createdAt)}</span></li>`,
    )
    .join('');
  return `<article id="${escapeHtml(post.id)}" class="post${post.deleted ? ' deleted' : ''}">
<div class="meta"><a href="/posts/${encodeURIComponent(post.id)}">${escapeHtml(post.id)}</a> · @${escapeHtml(post.account)} · ${escapeHtml(post.createdAt)}${reply}${post.deleted ? ' · <strong>deleted</strong>' : ''}</div>
<div class="text">${escapeHtml(post.text)}</div>
<div class="counts">${m.views} views · ${m.likes} likes · ${m.comments} comments · ${m.shares} shares · ${m.clicks} clicks</div>
${items ? `<ul class="comments">${items}</ul>` : ''}</article>`;
}

export function renderIndex(platform: Platform): string {
  const accounts = platform.accounts();
  const sections = accounts.map((account) => {
    const posts = platform.posts(account.handle);
    const list = posts.length > 0 ? posts.map((p) => renderPost(platform, p)).join('\n') : '<p>No posts yet.</p>';
    return `<section class="account" id="account-${escapeHtml(account.handle)}">
<h2>@${escapeHtml(account.handle)} <span class="meta">${escapeHtml(account.displayName)} · since ${escapeHtml(account.createdAt)} · ${posts.length} posts</span></h2>
${list}</section>`;
  });
  const body = `<h1>Social sandbox</h1>
<p class="meta">${accounts.length} accounts · read-only view · JSON at <a href="/api/posts">/api/posts</a></p>
${sections.length > 0 ? sections.join('\n') : '<p>No accounts yet.</p>'}`;
  return layout('Social sandbox', body);
}

export function renderPostPage(platform: Platform, post: Post): string {
  return layout(`Post ${post.id}`, `<p><a href="/">← all accounts</a></p>\n${renderPost(platform, post)}`);
}
