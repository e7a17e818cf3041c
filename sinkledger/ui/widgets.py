"""Streamlit's own widget texts in the UI's language.

Streamlit draws some texts of its widgets itself, in English only, with no parameter to change
them: the file uploader's "Upload" button and "200MB per file" line, a multiselect's "Choose
options" and "No results", a date input's "yyyy/mm/dd". :func:`localise_script` is a small
script, put once on every page that may draw such a widget
(:func:`sinkledger.ui.navigation.localise_widgets_for`), that watches the page
and replaces those texts with the catalogue's, in the language chosen; switching back restores
Streamlit's. Only these known texts of these widgets are touched, never data.

The upload limit each uploader shows and enforces is the one the settings accept
(``SINKLEDGER_MAX_FILE_MB``): :func:`upload_limit_mb`, applied to the server's
``server.maxUploadSize`` by :func:`apply_upload_limit` and to each uploader by :func:`file_uploader`.
"""

from __future__ import annotations

import json
from typing import Any

import streamlit as st
from streamlit import config as st_config

from sinkledger.ui import session
from sinkledger.ui.text import text
from sinkledger.ui.wiring import get_service

MIB = 1024 * 1024

# catalogue key → Streamlit's English text, matched whole (case-insensitive) in the widget
_FIXED = {"uploader_button": "Upload", "choose_options": "Choose options", "choose_option": "Choose an option",
          "no_options": "No options to select",
          "no_results": "No results", "date_placeholder": "yyyy/mm/dd"}

_SCRIPT = """<script>(function(){
var T = %s;
window.__slWidgetTexts = T;
if (window.__slWidgetObserver) { window.__slWidgetLocalise(); return; }
var ORIG = 'slOrig';
function swap(el, original, wanted){
  if (el.dataset[ORIG] === undefined) { el.dataset[ORIG] = original; }
  if (el.textContent !== wanted) { el.textContent = wanted; }
}
function fixed(s){ var k = (s || '').trim().toLowerCase(); return window.__slWidgetTexts.fixed[k]; }
window.__slWidgetLocalise = function(){
  var T = window.__slWidgetTexts;
  document.querySelectorAll('[data-testid="stFileUploaderDropzone"] button p').forEach(function(el){
    var original = el.dataset[ORIG] !== undefined ? el.dataset[ORIG] : el.textContent;
    if (original.trim().toLowerCase() === 'upload') { swap(el, original, T.upload); }
  });
  document.querySelectorAll('[data-testid="stFileUploaderDropzoneInstructions"] span').forEach(function(el){
    var original = el.dataset[ORIG] !== undefined ? el.dataset[ORIG] : el.textContent;
    var m = original.match(/^\\s*(\\d+(?:\\.\\d+)?)\\s*([KMG]B) per file(.*)$/);
    if (m) { swap(el, original, T.limit.replace('{mb}', m[1]) + m[3]); }
  });
  document.querySelectorAll('[data-baseweb="select"] div, [data-baseweb="menu"] li, [role="listbox"] li').forEach(function(el){
    if (el.children.length) { return; }
    var original = el.dataset[ORIG] !== undefined ? el.dataset[ORIG] : el.textContent;
    var wanted = fixed(original);
    if (wanted !== undefined) { swap(el, original, wanted); }
  });
  document.querySelectorAll('input[placeholder]').forEach(function(el){
    var original = el.dataset[ORIG] !== undefined ? el.dataset[ORIG] : el.getAttribute('placeholder');
    var wanted = fixed(original);
    if (wanted !== undefined) {
      if (el.dataset[ORIG] === undefined) { el.dataset[ORIG] = original; }
      if (el.getAttribute('placeholder') !== wanted) { el.setAttribute('placeholder', wanted); }
    }
  });
};
var pending = false;
window.__slWidgetObserver = new MutationObserver(function(){
  if (pending) { return; }
  pending = true;
  requestAnimationFrame(function(){ pending = false; window.__slWidgetLocalise(); });
});
window.__slWidgetObserver.observe(document.body, {childList: true, subtree: true, characterData: true});
window.__slWidgetLocalise();
})();</script>"""


def widget_texts(lang: str) -> dict[str, Any]:
    """What the script puts in place of Streamlit's English, in ``lang``."""
    return {"upload": text("uploader_button", lang), "limit": text("uploader_limit", lang, mb="{mb}"),
            "fixed": {english.lower(): text(key, lang) for key, english in _FIXED.items()}}


def localise_script(lang: str) -> str:
    """The script that shows Streamlit's own widget texts in ``lang`` (see the module's doc)."""
    return _SCRIPT % json.dumps(widget_texts(lang), ensure_ascii=False)


def upload_limit_mb(max_file_bytes: int) -> int:
    """The uploaders' cap in MB (Streamlit's unit, MiB): the settings' largest file, rounded up."""
    return max(1, -(-int(max_file_bytes) // MIB))


def apply_upload_limit(max_file_bytes: int) -> int:
    """Make the server accept uploads up to the settings' largest file (``server.maxUploadSize``,
    which Streamlit checks as each upload streams in); the cap in MB."""
    mb = upload_limit_mb(max_file_bytes)
    if st_config.get_option("server.maxUploadSize") != mb:
        st_config.set_option("server.maxUploadSize", mb)
    return mb


def file_uploader(label: str, **kwargs: Any) -> Any:
    """``st.file_uploader`` whose cap (shown and enforced) is the settings' largest file."""
    limit = apply_upload_limit(get_service().settings.file_limits.max_file_bytes)
    return st.file_uploader(label, max_upload_size=limit, **kwargs)


def localise_widgets() -> None:
    """Put :func:`localise_script` on the page (in the sidebar: it draws nothing)."""
    st.sidebar.html(localise_script(session.lang()), unsafe_allow_javascript=True)
