"""The Playwright download handler, made as strict as plain HTTP about broken pages.

Two changes to scrapy-playwright's handler:
- a request whose tab crashed is retried once, not three times (scrapy-playwright's fixed default): a
  page that crashes its tab (e.g. a script exhausting the memory cap) crashes it every time;
- the document as the server sent it is checked before the browser repairs it: a page over
  DOWNLOAD_MAXSIZE, or HTML that stops before </html>, is an error — page.content() would hand over
  a tidy DOM in which a cut-off document looks whole.
"""
from __future__ import annotations

from playwright.async_api import Error as PlaywrightError
from scrapy_playwright.handler import ScrapyPlaywrightDownloadHandler

from crawler.middlewares import PageTooLargeError, TruncatedPageError, is_truncated_html

TARGET_CLOSED_RETRIES = 1


class PlaywrightDownloadHandler(ScrapyPlaywrightDownloadHandler):
    def __init__(self, crawler) -> None:
        super().__init__(crawler)
        self.config.target_closed_max_retries = TARGET_CLOSED_RETRIES
        self._maxsize = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    async def _get_response_and_download(self, request, page, spider):
        response, download = await super()._get_response_and_download(request, page, spider)
        if response is not None:
            await self._check_document(response)
        return response, download

    async def _check_document(self, response) -> None:
        headers = await response.all_headers()
        content_type = headers.get("content-type", "")
        length = headers.get("content-length", "")
        if self._maxsize and length.isdigit() and int(length) > self._maxsize:
            raise PageTooLargeError(f"page of {length} bytes is over DOWNLOAD_MAXSIZE={self._maxsize}")
        if "html" not in content_type.lower():
            return
        try:
            body = await response.body()
        except PlaywrightError:  # no body kept (e.g. a redirect); nothing to check
            return
        if is_truncated_html(body):
            raise TruncatedPageError("HTML document ends before </html>")
