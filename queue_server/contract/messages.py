"""Every user-visible error and status text, Vietnamese and English side by side, by code.

A raise site names a code and its parameters, never the words:

    raise NotFound("unknown_counter", counter=7)   # "Không có quầy số 7." / "No counter 7."

Texts are `str.format` templates with the same placeholders in both languages. A parameter
may itself be a `Message`, so each language gets its own side (a service's Vietnamese and
English names). Error entries carry an `ErrorKind`, which the web layer maps to an HTTP
status; status texts and page labels have none.

Sections: API and domain errors (bare codes, the `code` of the JSON error body), printer
results (`printer.<fault>`), ticket statuses (`status.<value>`), counter states
(`counter_state.<value>`), labels the pages share (`label.<key>`) and the CLI (`cli.`).

Pure Python: imported by the domain, the web layer and `hardware/`, so it imports none of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from string import Formatter


class ErrorKind(StrEnum):
    """What sort of failure it is; the web layer maps each kind to an HTTP status."""

    INVALID = "invalid"  # 400
    UNAUTHORIZED = "unauthorized"  # 401
    FORBIDDEN = "forbidden"  # 403
    NOT_FOUND = "not_found"  # 404
    METHOD_NOT_ALLOWED = "method_not_allowed"  # 405
    CONFLICT = "conflict"  # 409
    TOO_LARGE = "too_large"  # 413
    URI_TOO_LONG = "uri_too_long"  # 414
    TOO_MANY = "too_many"  # 429
    HEADERS_TOO_LARGE = "headers_too_large"  # 431
    INTERNAL = "internal"  # 500


@dataclass(frozen=True)
class Message:
    """One text in Vietnamese (for people) and English (for logs and English pages)."""

    vi: str
    en: str
    kind: ErrorKind | None = None
    """Set for error codes; None for status texts and labels."""
    code: str | None = None
    """The code clients see when it is not the key: another wording of the same error."""

    def render(self, /, **params: object) -> tuple[str, str]:
        """Both texts with params filled in (a Message parameter gives each language its side)."""
        vi = {k: v.vi if isinstance(v, Message) else v for k, v in params.items()}
        en = {k: v.en if isinstance(v, Message) else v for k, v in params.items()}
        return self.vi.format(**vi), self.en.format(**en)


_INVALID, _NOT_FOUND, _CONFLICT = ErrorKind.INVALID, ErrorKind.NOT_FOUND, ErrorKind.CONFLICT


def _error(kind: ErrorKind, vi: str, en: str, code: str | None = None) -> Message:
    return Message(vi, en, kind, code)


MESSAGES: dict[str, Message] = {
    # -- the request (API v1) ----------------------------------------------------------
    "bad_request": _error(_INVALID, "Yêu cầu không hợp lệ.", "Bad request."),
    "malformed_json": _error(_INVALID, "Dữ liệu JSON không hợp lệ.", "Malformed JSON body."),
    "invalid_body": _error(
        _INVALID, "Dữ liệu phải là một đối tượng JSON.", "The body must be a JSON object."
    ),
    "unknown_field": _error(
        _INVALID, "Trường không hợp lệ: '{field}'.", "Unknown field '{field}'."
    ),
    "invalid_field": _error(
        _INVALID, "Trường '{field}' phải là {expected}.", "Field '{field}' must be {expected}."
    ),
    "missing_field": _error(_INVALID, "Thiếu trường '{field}'.", "Missing field '{field}'."),
    "invalid_query": _error(
        _INVALID,
        "Tham số '{param}' trong địa chỉ không hợp lệ.",
        "Query parameter '{param}' is invalid.",
    ),
    "invalid_path": _error(
        _INVALID,
        "Giá trị '{param}' trong đường dẫn không hợp lệ.",
        "Path parameter '{param}' is invalid.",
    ),
    "unsupported_media_type": _error(
        _INVALID, "Dữ liệu phải ở dạng JSON.", "Send application/json."
    ),
    "payload_too_large": _error(
        ErrorKind.TOO_LARGE, "Dữ liệu gửi lên quá lớn.", "Request body too large."
    ),
    "uri_too_long": _error(
        ErrorKind.URI_TOO_LONG,
        "Địa chỉ yêu cầu quá dài (tối đa {most} byte).",
        "Request URI too long ({most} bytes at most).",
    ),
    "headers_too_large": _error(
        ErrorKind.HEADERS_TOO_LARGE,
        "Phần đầu (header) của yêu cầu quá lớn: {what}.",
        "Request headers too large: {what}.",
    ),
    "method_not_allowed": _error(
        ErrorKind.METHOD_NOT_ALLOWED, "Phương thức không được hỗ trợ.", "Method not allowed."
    ),
    "not_found": _error(_NOT_FOUND, "Không tìm thấy.", "Not found."),
    "invalid_idempotency_key": _error(
        _INVALID,
        "Khóa Idempotency-Key không hợp lệ (1–64 ký tự chữ, số, _ . : -).",
        "Idempotency-Key must be 1-64 characters of letters, digits, _ . : -.",
    ),
    "idempotency_key_reused": _error(
        _CONFLICT,
        "Khóa Idempotency-Key đã dùng cho một yêu cầu khác.",
        "This Idempotency-Key was used for another request.",
    ),
    "rate_limited": _error(
        ErrorKind.TOO_MANY,
        "Kiosk đang lấy số quá nhanh. Vui lòng chờ giây lát rồi thử lại.",
        "Too many tickets from this kiosk; wait a moment.",
    ),
    "internal_error": _error(
        ErrorKind.INTERNAL, "Lỗi hệ thống, vui lòng thử lại.", "Internal error."
    ),
    # -- who is asking ------------------------------------------------------------------
    "missing_token": _error(
        ErrorKind.UNAUTHORIZED, "Cần mã truy cập.", "A bearer token is required."
    ),
    "unauthorized": _error(
        ErrorKind.UNAUTHORIZED, "Mã truy cập không hợp lệ.", "Invalid bearer token."
    ),
    "forbidden": _error(ErrorKind.FORBIDDEN, "Không có quyền {what}.", "Not allowed: {what}."),
    "forbidden_any": _error(
        ErrorKind.FORBIDDEN,
        "Không có quyền thực hiện thao tác này.",
        "Not allowed.",
        code="forbidden",
    ),
    "token_expired": _error(
        ErrorKind.UNAUTHORIZED,
        "Mã truy cập đã hết hạn; xin cấp mã mới.",
        "This token has expired; ask for a new one.",
    ),
    "token_revoked": _error(
        ErrorKind.UNAUTHORIZED,
        "Mã truy cập đã bị thu hồi.",
        "This token has been revoked.",
        code="unauthorized",
    ),
    # Staff accounts and their sessions (queue_server.accounts).
    "invalid_login": _error(
        ErrorKind.UNAUTHORIZED,
        "Tên đăng nhập hoặc mật khẩu không đúng.",
        "Wrong username or password.",
    ),
    "account_locked": _error(
        ErrorKind.FORBIDDEN,
        "Tài khoản đã bị khóa do nhập sai mật khẩu nhiều lần. Xin liên hệ cán bộ phụ trách "
        "(giám sát hoặc quản trị) để mở khóa.",
        "This account is locked after too many wrong passwords. Ask a supervisor or an "
        "administrator to unlock it.",
    ),
    "account_inactive": _error(
        ErrorKind.FORBIDDEN,
        "Tài khoản này đã ngừng hoạt động.",
        "This account is no longer active.",
    ),
    "session_expired": _error(
        ErrorKind.UNAUTHORIZED,
        "Phiên đăng nhập đã hết hạn. Xin đăng nhập lại.",
        "Your session has ended. Please sign in again.",
    ),
    "handed_over": _error(
        ErrorKind.UNAUTHORIZED,
        "Quầy số {counter} đã được bàn giao cho cán bộ {name} (Đổi ca). Phiên làm việc của "
        "bạn tại quầy này đã kết thúc; xin đăng nhập lại nếu cần.",
        "Counter {counter} was handed over to {name} (shift change). Your session at this "
        "counter has ended; sign in again if needed.",
        code="session_expired",
    ),
    "counter_taken": _error(
        _CONFLICT,
        "Quầy số {counter} đang mở với cán bộ {name}. Chọn «Đổi ca» để nhận quầy, hoặc chọn "
        "quầy khác.",
        'Counter {counter} is open with {name}. Choose "Đổi ca" (hand-over) to take it '
        "over, or choose another counter.",
    ),
    "csrf_failed": _error(
        ErrorKind.FORBIDDEN,
        "Yêu cầu bị từ chối: thiếu hoặc sai mã xác thực biểu mẫu (CSRF). Xin tải lại trang.",
        "Request refused: missing or wrong form token (CSRF). Please reload the page.",
    ),
    "login_rate_limited": _error(
        ErrorKind.TOO_MANY,
        "Đăng nhập quá nhiều lần từ máy này. Xin thử lại sau một phút.",
        "Too many sign-in attempts from this machine. Try again in a minute.",
        code="rate_limited",
    ),
    "not_a_person": _error(
        ErrorKind.FORBIDDEN,
        "Thao tác này dành cho cán bộ đã đăng nhập bằng tài khoản, không dành cho mã thiết bị.",
        "This is for staff signed in with an account, not for a device token.",
        code="forbidden",
    ),
    "counter_not_allowed": _error(
        ErrorKind.FORBIDDEN,
        "Tài khoản {username} không được làm việc tại quầy số {counter}.",
        "Account {username} may not work at counter {counter}.",
    ),
    "no_counter_chosen": _error(
        ErrorKind.FORBIDDEN,
        "Chưa chọn quầy làm việc. Xin đăng nhập lại và chọn quầy.",
        "No counter chosen. Please sign in again and choose your counter.",
    ),
    "forbidden_person_counter": _error(
        ErrorKind.FORBIDDEN,
        "Tài khoản {username} không được làm việc tại quầy số {counter}.",
        "Account {username} may not work at counter {counter}.",
        code="forbidden",
    ),
    "other_counter_chosen": _error(
        ErrorKind.FORBIDDEN,
        "Bạn đang làm việc tại quầy số {own}. Để làm việc tại quầy số {counter}, xin đăng "
        "nhập lại và chọn quầy đó.",
        "You are working at counter {own}. To work at counter {counter}, sign in again and "
        "choose it.",
        code="forbidden",
    ),
    # Managing device tokens (GET/POST/DELETE /api/v1/tokens, web.tokens_api).
    "unknown_token": _error(_NOT_FOUND, "Không có mã truy cập số {id}.", "No token with id {id}."),
    "missing_device_slot": _error(
        _INVALID,
        "Thiếu hoặc sai tiêu đề {header}: chỉ các trang của hệ thống mới gửi được mã thiết bị.",
        "Missing or wrong {header} header: only the system's own pages send a device code.",
    ),
    "token_needs_counter": _error(
        _INVALID,
        "Mã cho vai trò {role} cần có số quầy (counter).",
        "A {role} token needs a counter.",
    ),
    "token_counters_agent_only": _error(
        _INVALID,
        "Chỉ mã của bộ điều khiển thiết bị (agent) mới có danh sách quầy (counters).",
        "Only agent tokens list counters.",
    ),
    "token_all_sites_admin_only": _error(
        _INVALID,
        "Chỉ mã quản trị mới được dùng cho mọi điểm phục vụ.",
        "Only admin tokens may be for every site.",
    ),
    "forbidden_all_sites_token": _error(
        ErrorKind.FORBIDDEN,
        "Chỉ quản trị viên của mọi điểm phục vụ mới được tạo, thu hồi hoặc cấp lại mã dùng "
        "cho mọi điểm.",
        "Only an administrator of every site may create, revoke or re-issue a token for "
        "every site.",
        code="forbidden",
    ),
    "invalid_expiry": _error(
        _INVALID,
        "Hạn dùng «{value}» không hợp lệ: cần ngày giờ ISO 8601 có múi giờ, sau thời điểm "
        "hiện tại, ví dụ 2027-01-31T00:00:00+07:00.",
        "expires_at '{value}' must be an ISO 8601 date-time with its offset, in the future, "
        "e.g. 2027-01-31T00:00:00+07:00.",
    ),
    # The scope of a token (web.routes.authorise): its site, its counter(s), its tickets.
    "forbidden_site": _error(
        ErrorKind.FORBIDDEN,
        "Mã này của điểm {own} không được thao tác tại điểm {site}.",
        "This token of site {own} may not act at site {site}.",
        code="forbidden",
    ),
    "forbidden_counter": _error(
        ErrorKind.FORBIDDEN,
        "Mã này của quầy số {own} không được thao tác trên quầy số {counter}.",
        "This token of counter {own} may not act on counter {counter}.",
        code="forbidden",
    ),
    "forbidden_agent_counter": _error(
        ErrorKind.FORBIDDEN,
        "Mã thiết bị này không được cấp cho quầy số {counter} (chỉ quầy {own}).",
        "This agent token is not for counter {counter} (only {own}).",
        code="forbidden",
    ),
    "forbidden_ticket_counter": _error(
        ErrorKind.FORBIDDEN,
        "Mã này của quầy số {own} không được thao tác trên phiếu của quầy số {counter}.",
        "This token of counter {own} may not act on a ticket of counter {counter}.",
        code="forbidden",
    ),
    "forbidden_ticket_service": _error(
        ErrorKind.FORBIDDEN,
        "Mã này của quầy số {own} không được thao tác trên số {number}: "
        "quầy không phục vụ lĩnh vực {service}.",
        "This token of counter {own} may not act on ticket {number}: "
        "the counter does not serve {service}.",
        code="forbidden",
    ),
    # -- the centre as configured -------------------------------------------------------
    "unknown_site": _error(_NOT_FOUND, "Không có điểm phục vụ {site!r}.", "No site {site!r}."),
    "unknown_service": _error(
        _NOT_FOUND, "Không có lĩnh vực mã {code!r}.", "No service with code {code!r}."
    ),
    "unknown_counter": _error(_NOT_FOUND, "Không có quầy số {counter}.", "No counter {counter}."),
    "unknown_procedure": _error(
        _NOT_FOUND,
        "Lĩnh vực {service} không có thủ tục «{procedure}».",
        "No procedure {procedure!r} in {service}.",
    ),
    # -- issuing ------------------------------------------------------------------------
    "closed_hours": _error(
        _CONFLICT,
        "Lĩnh vực {service} hiện ngoài giờ lấy số. Giờ làm việc: {hours}.",
        "{service} is not issuing tickets now (outside opening hours: {hours}).",
    ),
    "daily_cap_reached": _error(
        _CONFLICT,
        "Lĩnh vực {service} đã hết số trong ngày hôm nay (tối đa {cap} số). "
        "Mời quay lại vào ngày làm việc tiếp theo.",
        "{service} has issued its {cap} tickets for today.",
    ),
    "numbers_exhausted": _error(
        _CONFLICT,
        "Đã hết số thứ tự trong ngày (tối đa {capacity} số).",
        "The day's ticket numbers are used up ({capacity} at most).",
    ),
    "citizen_id_required": _error(
        _INVALID,
        "Vui lòng nhập số điện thoại hoặc số CCCD để lấy số.",
        "This centre needs a phone or ID number to issue a ticket.",
    ),
    "invalid_citizen_id": _error(
        _INVALID,
        "Số điện thoại hoặc số CCCD không hợp lệ.",
        "Give a 10-digit phone number or a 9/12-digit ID number.",
    ),
    "already_has_ticket": _error(
        _CONFLICT,
        "Bạn đã lấy số lĩnh vực {service} hôm nay. Vui lòng chờ gọi số, "
        "hoặc nhờ cán bộ hỗ trợ nếu bị mất phiếu.",
        "This citizen already has a ticket for {service} today.",
    ),
    # -- tickets and counters -----------------------------------------------------------
    "unknown_ticket": _error(_NOT_FOUND, "Không tìm thấy phiếu này.", "No such ticket."),
    "unknown_ticket_today": _error(
        _NOT_FOUND,
        "Không có số {ref} trong ngày hôm nay.",
        "No ticket {ref} today.",
        code="unknown_ticket",
    ),
    "invalid_ticket_ref": _error(
        _NOT_FOUND,
        "Không có số «{ref}»: hãy gõ số in trên phiếu, ví dụ A012, a12 hoặc 12.",
        "No ticket '{ref}': type the number printed on the slip, e.g. A012, a12 or 12.",
        code="unknown_ticket",
    ),
    "ambiguous_ticket_ref": _error(
        _CONFLICT,
        "Số {ref} có ở nhiều lĩnh vực: {numbers}. Vui lòng gõ cả chữ cái.",
        "{ref} is a ticket of several fields: {numbers}. Type the letter too.",
    ),
    "illegal_transition": _error(
        _CONFLICT,
        "Không thể {action} số {number}: số này đang ở trạng thái «{status}».",
        "Cannot {action} ticket {number} while it is {status}.",
    ),
    "ticket_taken": _error(
        _CONFLICT,
        "Số {number} vừa được quầy khác xử lý.",
        "Ticket {number} was just handled elsewhere.",
    ),
    "ticket_taken_at_counter": _error(
        _CONFLICT,
        "Số {number} đang được Quầy số {counter} phục vụ.",
        "Ticket {number} is being served at counter {counter}.",
        code="ticket_taken",
    ),
    "wrong_counter": _error(
        _CONFLICT,
        "Số {number} thuộc lĩnh vực không do quầy số {counter} phục vụ.",
        "Ticket {number} is for a service counter {counter} does not serve.",
    ),
    "same_service": _error(
        _CONFLICT,
        "Số {number} đã thuộc lĩnh vực này.",
        "Ticket {number} is already in that service.",
    ),
    "no_current_ticket": _error(
        _CONFLICT,
        "Quầy số {counter} chưa gọi số nào.",
        "Counter {counter} has no ticket called.",
    ),
    "counter_paused": _error(
        _CONFLICT,
        "Quầy số {counter} đang tạm dừng. Chọn «Tiếp tục» trước khi gọi số.",
        "Counter {counter} is paused; resume it before calling.",
    ),
    "counter_has_ticket": _error(
        _CONFLICT,
        "Quầy số {counter} đang giữ số {number}. Hãy hoàn thành, đánh dấu «Không có mặt» "
        "hoặc chuyển lĩnh vực cho số này trước khi đóng quầy.",
        "Counter {counter} still holds {number}: complete it, mark it not present or "
        "transfer it before closing the counter.",
    ),
    "busy": _error(_CONFLICT, "Hệ thống đang bận, vui lòng thử lại.", "Too much contention."),
    "invalid_rating": _error(
        _INVALID,
        "Điểm đánh giá phải từ 1 đến 3 (hoặc đến 5).",
        "Score must be 1..scale, and scale 3 or 5.",
    ),
    "nothing_to_rate": _error(
        _CONFLICT,
        "Quầy số {counter} chưa phục vụ ai để đánh giá.",
        "Counter {counter} has served nobody to rate.",
    ),
    # The rating from a ticket's status page (POST /tickets/<id>/rating).
    "rating_off": _error(
        _CONFLICT,
        "Trung tâm chưa nhận đánh giá qua trang này.",
        "This centre does not take ratings on the status page.",
    ),
    "rating_not_served": _error(
        _CONFLICT,
        "Số {number} chưa được phục vụ nên chưa thể đánh giá.",
        "Ticket {number} has not been served yet, so it cannot be rated.",
    ),
    "rating_closed": _error(
        _CONFLICT,
        "Đã quá 24 giờ kể từ khi số {number} được phục vụ; không thể đánh giá nữa.",
        "More than 24 hours have passed since ticket {number} was served; it can no longer "
        "be rated.",
    ),
    "already_rated": _error(
        _CONFLICT,
        "Số {number} đã được đánh giá; mỗi số chỉ đánh giá một lần.",
        "Ticket {number} has already been rated; each ticket is rated once.",
    ),
    "demo_locked": _error(
        ErrorKind.FORBIDDEN,
        "Bàn phím mô phỏng đang khóa: máy chủ nghe trên {host}, ai vào được mạng đều có thể "
        "gọi số. Chạy với --host 127.0.0.1, hoặc đặt MOTCUA_PUBLIC_DEMO=1 để mở cho khách.",
        "The simulated keypads are locked: the server listens on {host}, where anyone on the "
        "network could call tickets. Run with --host 127.0.0.1, or set MOTCUA_PUBLIC_DEMO=1 "
        "to open them to visitors.",
    ),
    # -- printer results (PrintResult.message_vi/message_en; fault codes in hardware.printer)
    "printer.ok": Message("Đã in phiếu.", "Ticket printed."),
    "printer.browser": Message(
        "Đang in phiếu bằng máy in của kiosk.", "Printing the slip with the kiosk's printer."
    ),
    "printer.offline": Message("Máy in đang mất kết nối.", "The printer is offline."),
    "printer.paper_out": Message("Máy in đã hết giấy.", "The printer is out of paper."),
    "printer.cover_open": Message("Nắp máy in đang mở.", "The printer cover is open."),
    "printer.timeout": Message("Máy in không phản hồi.", "The printer did not respond in time."),
    "printer.error": Message("Máy in gặp lỗi.", "The printer reported an error."),
    # -- ticket statuses and counter states (TicketStatus / CounterState values; a closed
    # counter not opened yet today is `not_opened`, domain.counters.CounterDay.label_code) ---
    "status.waiting": Message("Đang chờ", "Waiting"),
    "status.called": Message("Đã gọi", "Called"),
    "status.serving": Message("Đang phục vụ", "Serving"),
    "status.done": Message("Đã phục vụ", "Served"),
    "status.no_show": Message("Không có mặt", "Not present"),
    "status.cancelled": Message("Đã hủy", "Cancelled"),
    "counter_state.open": Message("Đang mở", "Open"),
    "counter_state.paused": Message("Tạm dừng", "Paused"),
    "counter_state.closed": Message("Đã đóng quầy", "Closed for the day"),
    "counter_state.not_opened": Message("Chưa mở", "Not open yet"),
    # -- labels several pages share (see page_labels) -----------------------------------
    "label.online": Message("Đã kết nối", "Connected"),
    "label.offline": Message("Mất kết nối", "Disconnected"),
    "label.priority": Message("Ưu tiên", "Priority"),
    "label.your_number": Message("Số thứ tự của bạn", "Your number"),
    "label.ahead": Message("Số người chờ trước bạn", "People ahead of you"),
    "label.estimate": Message("Thời gian chờ dự kiến", "Estimated wait"),
    "label.minutes": Message("khoảng {n} phút", "about {n} minutes"),
    "label.minutes_under_one": Message("dưới 1 phút", "under 1 minute"),
    "label.no_counter_open": Message("Chưa có quầy mở", "No counter open yet"),
    "label.keep_ticket": Message(
        "Vui lòng giữ phiếu và chờ gọi số. Xin cảm ơn!",
        "Please keep your ticket and wait to be called. Thank you!",
    ),
    # -- server-rendered pages: error pages (by HTTP status) and the start page --------
    "page.error.400": Message("Yêu cầu không hợp lệ", "Bad request"),
    "page.error.400.hint": Message(
        "Trình duyệt đã gửi một yêu cầu mà hệ thống không hiểu. Xin quay lại và thử lại.",
        "The browser sent a request the system does not understand. Go back and try again.",
    ),
    "page.error.403": Message(
        "Tài khoản của bạn không có quyền mở trang này", "Your account may not open this page"
    ),
    "page.error.403.hint": Message(
        "Trang này dành cho cán bộ có vai trò khác. Xin đăng nhập bằng tài khoản phù hợp, hoặc "
        "liên hệ quản trị viên của trung tâm.",
        "This page is for staff with another role. Sign in with the right account, or ask "
        "the centre's administrator.",
    ),
    "page.error.404": Message("Không tìm thấy trang này", "Page not found"),
    "page.error.404.hint": Message(
        "Địa chỉ có thể bị gõ sai hoặc trang không còn nữa. Xin kiểm tra lại địa chỉ, "
        "hoặc về trang chủ để chọn màn hình.",
        "The address may be mistyped, or the page is gone. Check the address, or go to the "
        "start page to choose a screen.",
    ),
    "page.error.405": Message(
        "Trang này không nhận thao tác vừa gửi", "This page does not accept that request"
    ),
    "page.error.405.hint": Message(
        "Xin mở trang bằng đường dẫn thông thường.", "Open the page by its link instead."
    ),
    "page.error.413": Message("Dữ liệu gửi lên quá lớn", "Request too large"),
    "page.error.413.hint": Message(
        "Xin gửi ít dữ liệu hơn rồi thử lại.", "Send less data and try again."
    ),
    "page.error.414": Message("Địa chỉ trang quá dài", "Address too long"),
    "page.error.414.hint": Message(
        "Đường dẫn vừa mở dài quá mức hệ thống nhận. Xin mở trang bằng đường dẫn thông "
        "thường, hoặc về trang chủ.",
        "The address opened is longer than the system accepts. Open the page by its usual "
        "link, or go to the start page.",
    ),
    "page.error.431": Message("Yêu cầu của trình duyệt quá lớn", "Request headers too large"),
    "page.error.431.hint": Message(
        "Trình duyệt gửi kèm quá nhiều dữ liệu (thường là cookie). Xin xóa cookie của trang "
        "này rồi thử lại.",
        "The browser sent too much with the request (usually cookies). Clear this site's "
        "cookies and try again.",
    ),
    "page.error.500": Message("Hệ thống đang gặp sự cố", "Something went wrong on the server"),
    "page.error.500.hint": Message(
        "Sự cố đã được ghi lại. Xin thử lại sau ít phút; nếu vẫn lỗi, xin báo cán bộ kỹ thuật "
        "của trung tâm.",
        "The problem has been logged. Try again in a few minutes; if it persists, tell the "
        "centre's IT staff.",
    ),
    "page.error.other": Message("Không thể mở trang này", "This page cannot be shown"),
    "page.error.other.hint": Message(
        "Xin thử lại, hoặc về trang chủ.", "Try again, or go to the start page."
    ),
    "page.home_link": Message("Về trang chủ", "Start page"),
    # The start page (/) for the centre's staff.
    "home.title": Message(
        "Trang khởi đầu cho cán bộ trung tâm", "Start page for the centre's staff"
    ),
    "home.state_at": Message("Trạng thái lúc {time}", "State at {time}"),
    "home.state": Message("Tình hình trung tâm", "The centre now"),
    "home.counters_open": Message("Quầy đang mở", "Counters open"),
    "home.counters_paused": Message("Quầy tạm dừng", "Counters paused"),
    "home.counters_closed": Message("Quầy đóng", "Counters closed"),
    "home.waiting_total": Message("Người đang chờ", "People waiting"),
    "home.col_counter": Message("Quầy", "Counter"),
    "home.col_state": Message("Trạng thái", "State"),
    "home.col_ticket": Message("Số tại quầy", "Ticket at the counter"),
    "home.col_fields": Message("Lĩnh vực", "Fields"),
    "home.col_waiting": Message("Số người chờ", "Waiting"),
    "home.screens": Message("Các màn hình", "Screens"),
    "home.kiosk": Message("Kiosk lấy số", "Ticket kiosk"),
    "home.kiosk_for": Message(
        "Màn hình cảm ứng để công dân lấy số theo lĩnh vực và in phiếu. Đăng nhập một lần "
        "bằng mã kiosk.",
        "The touch screen where citizens take a ticket for their field. Signs in once with "
        "a kiosk code.",
    ),
    "home.lobby": Message("Màn hình sảnh", "Lobby display"),
    "home.lobby_for": Message(
        "Màn hình lớn ở sảnh chờ: số đang gọi và quầy, các số đã gọi, số người chờ từng lĩnh "
        "vực; phát tiếng gọi số. Màn hình thứ hai trong cùng sảnh: tắt tiếng.",
        "The big screen in the hall: the number called and its counter, recent calls, people "
        "waiting per field; plays the calls. A second screen in the same hall: muted.",
    ),
    "home.lobby_en": Message("Tiếng Anh", "In English"),
    "home.lobby_muted": Message("Tắt tiếng", "Muted"),
    "home.counter_displays": Message("Màn hình trên quầy", "Counter displays"),
    "home.counter_displays_for": Message(
        "Màn hình nhỏ phía trên mỗi quầy: số quầy và số đang được mời đến quầy.",
        "The small screen above each counter: its number and the ticket called to it.",
    ),
    "home.consoles": Message("Bàn làm việc của cán bộ", "Clerk consoles"),
    "home.consoles_for": Message(
        "Cán bộ gọi số tiếp theo, gọi lại, đánh dấu vắng, chuyển lĩnh vực, tạm dừng quầy. "
        "Đăng nhập bằng mã của quầy.",
        "Clerks call the next number, recall, mark not present, transfer, pause. Signs in "
        "with the counter's code.",
    ),
    "home.demo_devices": Message("Thiết bị mô phỏng", "Simulated devices"),
    "home.demo_devices_for": Message(
        "Bản trình diễn: bàn phím gọi số và bảng LED mô phỏng của từng quầy.",
        "Demo: each counter's simulated keypad and LED board.",
    ),
    "home.status_page": Message("Trang trạng thái phiếu", "Ticket status page"),
    "home.status_page_for": Message(
        "Trên điện thoại của công dân, mở bằng mã QR trên phiếu: số người chờ trước, quầy khi "
        "được gọi, kết quả và đánh giá. Mỗi phiếu có địa chỉ riêng, không liệt kê ở đây.",
        "On the citizen's phone, opened from the slip's QR code: people ahead, the counter "
        "once called, the result and the rating. Each ticket has its own address, not "
        "listed here.",
    ),
    "home.api": Message("API cho hệ thống khác", "API for other systems"),
    "home.api_for": Message(
        "Tài liệu OpenAPI 3.1 của mọi lệnh, và trạng thái sảnh dạng JSON.",
        "The OpenAPI 3.1 document of every route, and the lobby's state as JSON.",
    ),
    "home.health": Message("Tình trạng máy chủ", "Server health"),
    "home.health_for": Message(
        "Trả lời {status} khi máy chủ đang chạy (dùng cho giám sát).",
        "Answers {status} while the server runs (for monitoring).",
    ),
    "home.sign_in": Message("Mã đăng nhập", "Sign-in codes"),
    "home.sign_in_demo": Message(
        "Bản trình diễn: các đường dẫn dưới đây đã kèm mã đăng nhập. Ai mở được trang này đều "
        "dùng được các mã này.",
        "Demo: the links below carry their sign-in codes. Anyone who can open this page can "
        "use them.",
    ),
    "home.sign_in_locked": Message(
        "Bản trình diễn nghe trên {host}: mã đăng nhập chỉ in trong cửa sổ chạy «motcua run», "
        "không hiện ở trang này.",
        "The demo listens on {host}: sign-in codes are printed only in the window running "
        "`motcua run`, not on this page.",
    ),
    "home.sign_in_how": Message(
        "Mã đăng nhập không bao giờ hiện ở trang này. Quản trị viên cấp mã bằng lệnh "
        "«motcua token create» (ví dụ: --role clerk --counter 3) và xem, thu hồi bằng "
        "«motcua token list» / «motcua token revoke».",
        "Sign-in codes are never shown on this page. An administrator creates them with "
        "`motcua token create` (e.g. --role clerk --counter 3) and lists or revokes them "
        "with `motcua token list` / `motcua token revoke`.",
    ),
    "home.code_kiosk": Message("Mã kiosk", "Kiosk code"),
    "home.code_admin": Message("Mã quản trị", "Admin code"),
    "home.code_clerk": Message("Mã của {counter}", "Code of {counter}"),
    "home.demo": Message("Bản trình diễn", "Demo"),
    # -- the ticket status page (/t/<id>) ---------------------------------------------
    "label.live": Message("Đang cập nhật", "Live"),
    "label.issued": Message("Giờ lấy số", "Issued at"),
    "label.status_note": Message(
        "Trang này tự cập nhật. Vui lòng có mặt tại sảnh khi gần đến lượt.",
        "This page updates itself. Please be in the hall when your turn is near.",
    ),
    "label.called_note": Message(
        "Trang này tự cập nhật. Xin mang theo phiếu và giấy tờ đến quầy.",
        "This page updates itself. Bring your ticket and documents to the counter.",
    ),
    "label.go_to": Message("Mời bạn đến {counter}", "Please go to {counter}"),
    "label.thanks": Message(
        "Cảm ơn bạn đã đến làm thủ tục tại trung tâm!", "Thank you for visiting the centre!"
    ),
    "label.result": Message("Kết quả", "Result"),
    "label.result_done": Message("Đã phục vụ tại {counter}", "Served at {counter}"),
    "label.result_no_show": Message(
        "Không có mặt khi được gọi. Nếu bạn vẫn còn ở trung tâm, xin báo cán bộ tại quầy để "
        "được gọi lại.",
        "Not present when called. If you are still at the centre, ask the clerk at the "
        "counter to call you again.",
    ),
    "label.result_cancelled": Message("Số này đã được hủy.", "This ticket was cancelled."),
    "label.result_transferred": Message(
        "Chuyển lĩnh vực: số của bạn đã được chuyển từ {from_service} sang {to_service}. "
        "Vui lòng tiếp tục chờ gọi số.",
        "Transferred: your ticket moved from {from_service} to {to_service}. Please keep "
        "waiting to be called.",
    ),
    "label.rating_ask": Message(
        "Bạn có hài lòng với sự phục vụ hôm nay không?",
        "How satisfied are you with today's service?",
    ),
    # The three levels (Thông tư 01/2018/TT-VPCP); scores as POST .../rating takes them.
    "label.rating_3": Message("Rất hài lòng", "Very satisfied"),
    "label.rating_2": Message("Hài lòng", "Satisfied"),
    "label.rating_1": Message("Không hài lòng", "Not satisfied"),
    "label.rating_thanks": Message(
        "Cảm ơn bạn đã đánh giá: {level}.", "Thank you for your rating: {level}."
    ),
    "label.rating_failed": Message(
        "Chưa gửi được đánh giá, xin chạm lại.", "The rating was not sent; please tap again."
    ),
    "label.welcome": Message("Xin chào quý khách", "Welcome"),
    "label.upnext": Message("Đang chờ đọc", "Waiting to be read"),
    "label.serving_counters": Message("Quầy phục vụ: {counters}", "Counters: {counters}"),
    "label.waiting_area": Message("Nơi chờ: {area}", "Waiting area: {area}"),
    "label.priority_groups": Message(
        "Người cao tuổi, người khuyết tật, phụ nữ mang thai, người có công, người đi cùng trẻ nhỏ",
        "Elderly people, people with disabilities, pregnant women, people with merit, "
        "people with small children",
    ),
    # -- device tokens: the roles and states as pages show them (/admin/tokens, kiosk) -----
    "label.role_kiosk": Message("Kiosk lấy số", "Ticket kiosk"),
    "label.role_display": Message("Màn hình", "Display"),
    "label.role_clerk": Message("Quầy (mã cũ)", "Counter (old code)"),
    "label.role_counter": Message("Máy quầy", "Counter PC"),
    "label.role_agent": Message("Bộ điều khiển thiết bị", "Device agent"),
    "label.role_admin": Message("Quản trị", "Administrator"),
    "label.token_active": Message("Đang dùng", "Active"),
    "label.token_revoked": Message("Đã thu hồi", "Revoked"),
    "label.token_expired": Message("Đã hết hạn", "Expired"),
    "label.device_refused": Message(
        "Mã thiết bị không còn hiệu lực (đã bị thu hồi hoặc hết hạn).",
        "This device's code is no longer valid (revoked or expired).",
    ),
    "label.kiosk_suspended": Message("Kiosk tạm ngừng phục vụ", "This kiosk is out of service"),
    "label.kiosk_suspended_why": Message(
        "Mã thiết bị của kiosk đã bị thu hồi hoặc hết hạn. Xin mời quý khách liên hệ cán bộ "
        "hướng dẫn để được hỗ trợ lấy số.",
        "The kiosk's device code was revoked or has expired. Please ask a member of staff "
        "for help to take a number.",
    ),
    "label.kiosk_staff_code": Message(
        "Cán bộ kỹ thuật: nhập mã thiết bị mới để kích hoạt lại kiosk.",
        "Staff: enter a new device code to activate the kiosk again.",
    ),
    # -- the kiosk's own words (displays/static/js/kiosk.js) --------------------------------
    "label.kiosk_choose": Message(
        "Chạm vào lĩnh vực để lấy số", "Touch your field to take a number"
    ),
    "label.kiosk_priority_how": Message(
        "Nút «Ưu tiên» màu vàng dành cho:", "The yellow «Priority» button is for:"
    ),
    "label.kiosk_priority_q": Message(
        "Lấy số ưu tiên cho lĩnh vực {field}?", "A priority number for {field}?"
    ),
    "label.kiosk_priority_yes": Message("Đúng, tôi được ưu tiên", "Yes, I have priority"),
    "label.kiosk_priority_no": Message("Không, lấy số thường", "No, an ordinary number"),
    "label.kiosk_more": Message("Xem tiếp", "Next page"),
    "label.kiosk_previous": Message("Trang trước", "Previous page"),
    "label.kiosk_page": Message("Trang {page} trên {pages}", "Page {page} of {pages}"),
    # -- staff accounts administered (web.users_api), the audit log (web.audit_api) and the
    # supervisors' corrections (web.corrections_api) ------------------------------------
    "unknown_user": _error(
        _NOT_FOUND, "Không có tài khoản '{username}'.", "No account '{username}'."
    ),
    "username_taken": _error(
        _CONFLICT,
        "Tên đăng nhập '{username}' đã có người dùng.",
        "The username '{username}' is taken.",
    ),
    "invalid_username": _error(
        _INVALID,
        "Tên đăng nhập cần 1-{most} ký tự, không có khoảng trắng.",
        "The username needs 1-{most} characters without spaces.",
    ),
    "invalid_password": _error(
        _INVALID,
        "Mật khẩu cần từ {least} đến {most} ký tự.",
        "The password needs {least} to {most} characters.",
    ),
    "invalid_user_counters": _error(
        _INVALID,
        "Chỉ cán bộ một cửa (clerk) mới được giới hạn theo quầy.",
        "Only clerks are limited to counters.",
    ),
    "all_sites_admin_only": _error(
        _INVALID,
        "Chỉ quản trị viên mới được làm việc ở mọi điểm phục vụ.",
        "Only administrators may be for every site.",
    ),
    "own_account": _error(
        _CONFLICT,
        "Không được tự khóa, tự ngừng hoặc tự bỏ quyền quản trị của chính mình.",
        "You may not lock, deactivate or demote your own account.",
    ),
    "invalid_date": _error(
        _INVALID,
        "Tham số '{param}' phải là ngày dạng YYYY-MM-DD.",
        "Parameter '{param}' must be a date, YYYY-MM-DD.",
    ),
    "no_services": _error(
        _INVALID,
        "Cần ít nhất một lĩnh vực, không lặp lại.",
        "At least one field is needed, none repeated.",
    ),
    # What each audited action is, in words (the audit page, its export).
    "audit.ticket.cancel": Message("Hủy số", "Cancel a ticket"),
    "audit.ticket.return": Message("Gọi lại số vắng (đưa lại vào hàng chờ)", "Return a no-show"),
    "audit.ticket.call": Message("Gọi số cụ thể", "Call a specific number"),
    "audit.ticket.transfer": Message("Chuyển lĩnh vực", "Transfer a ticket"),
    "audit.ticket.call_next": Message("Gọi số tiếp theo", "Call the next number"),
    "audit.ticket.recall": Message("Gọi lại", "Recall"),
    "audit.ticket.start": Message("Bắt đầu phục vụ", "Start serving"),
    "audit.ticket.complete": Message("Hoàn thành", "Complete"),
    "audit.ticket.no_show": Message("Đánh dấu không có mặt", "Mark no-show"),
    "audit.counter.open": Message("Mở quầy", "Open a counter"),
    "audit.counter.pause": Message("Tạm dừng quầy", "Pause a counter"),
    "audit.counter.close": Message("Đóng quầy", "Close a counter"),
    "audit.counter.force_close": Message(
        "Đóng quầy bị bỏ quên (kết thúc số đang giữ)", "Force-close a counter left open"
    ),
    "audit.counter.services": Message(
        "Đổi lĩnh vực của quầy trong hôm nay", "Change a counter's fields for today"
    ),
    "audit.token.create": Message("Tạo mã thiết bị", "Create a device token"),
    "audit.token.revoke": Message("Thu hồi mã thiết bị", "Revoke a device token"),
    "audit.token.reissue": Message("Cấp lại mã thiết bị", "Re-issue a device token"),
    "audit.user.create": Message("Tạo tài khoản", "Create an account"),
    "audit.user.update": Message("Sửa tài khoản", "Change an account"),
    "audit.user.password": Message("Đặt lại mật khẩu", "Reset a password"),
    "audit.user.lock": Message("Khóa tài khoản", "Lock an account"),
    "audit.user.unlock": Message("Mở khóa tài khoản", "Unlock an account"),
    "audit.config.change": Message("Thay đổi cấu hình", "Change the configuration"),
    # Staff roles and account states, as the admin pages show them.
    "role.admin": Message("Quản trị", "Administrator"),
    "role.supervisor": Message("Giám sát", "Supervisor"),
    "role.clerk": Message("Cán bộ một cửa", "Clerk"),
    "role.cli": Message("Dòng lệnh trên máy chủ", "Command line on the server"),
    "role.agent": Message("Máy tính quầy (thiết bị)", "Counter PC (device)"),
    "user_state.active": Message("Đang hoạt động", "Active"),
    "user_state.locked": Message("Đã khóa", "Locked"),
    "user_state.inactive": Message("Ngừng hoạt động", "Inactive"),
    # The staff's admin pages (/admin/audit, /admin/users, /admin/queue: web.admin_pages).
    "staff.audit_title": Message("Nhật ký thao tác", "Audit log"),
    "staff.users_title": Message("Người dùng", "Users"),
    "staff.queue_title": Message("Điều chỉnh hàng chờ", "Queue corrections"),
    "staff.back_admin": Message("← Về trang quản trị", "← Back to administration"),
    "staff.sign_in_needed": Message(
        "Xin đăng nhập bằng tài khoản quản trị hoặc giám sát.",
        "Please sign in with an administrator or supervisor account.",
    ),
    "staff.sign_in": Message("Đăng nhập", "Sign in"),
    "staff.not_allowed": Message(
        "Tài khoản này không được dùng trang này.", "This account may not use this page."
    ),
    "staff.signed_in_as": Message("Đang đăng nhập: {name} ({role})", "Signed in: {name} ({role})"),
    "staff.from": Message("Từ ngày", "From"),
    "staff.to": Message("Đến ngày", "To"),
    "staff.actor": Message("Người thực hiện", "Who"),
    "staff.action": Message("Thao tác", "Action"),
    "staff.any_action": Message("Tất cả thao tác", "Every action"),
    "staff.text": Message("Tìm theo đối tượng", "Search the target"),
    "staff.filter": Message("Lọc", "Filter"),
    "staff.export_csv": Message("Xuất CSV", "Export CSV"),
    "staff.time": Message("Thời gian", "Time"),
    "staff.where": Message("Từ máy", "From address"),
    "staff.target": Message("Đối tượng", "Target"),
    "staff.change": Message("Trước → Sau", "Before → after"),
    "staff.more": Message("Xem các mục cũ hơn", "Older entries"),
    "staff.none": Message("Không có mục nào.", "Nothing here."),
    "staff.loading": Message("Đang tải…", "Loading…"),
    "staff.username": Message("Tên đăng nhập", "Username"),
    "staff.name": Message("Họ và tên", "Full name"),
    "staff.role": Message("Vai trò", "Role"),
    "staff.site": Message("Điểm phục vụ", "Site"),
    "staff.counters": Message("Quầy", "Counters"),
    "staff.counters_hint": Message(
        "Số quầy, cách nhau bằng dấu phẩy; để trống: mọi quầy",
        "Counter numbers, comma-separated; empty: every counter",
    ),
    "staff.all_counters": Message("Mọi quầy", "Every counter"),
    "staff.all_sites": Message("Mọi điểm", "Every site"),
    "staff.state": Message("Trạng thái", "State"),
    "staff.password": Message(
        "Mật khẩu ban đầu (ít nhất 8 ký tự)", "First password (8+ characters)"
    ),
    "staff.new_password": Message("Mật khẩu mới (ít nhất 8 ký tự)", "New password (8+ characters)"),
    "staff.new_user": Message("Thêm người dùng", "Add a user"),
    "staff.create": Message("Tạo tài khoản", "Create the account"),
    "staff.edit": Message("Sửa", "Edit"),
    "staff.save": Message("Lưu", "Save"),
    "staff.close_form": Message("Bỏ qua", "Never mind"),
    "staff.reset_password": Message("Đặt lại mật khẩu", "Reset the password"),
    "staff.lock": Message("Khóa", "Lock"),
    "staff.unlock": Message("Mở khóa", "Unlock"),
    "staff.active": Message("Đang hoạt động (được đăng nhập)", "Active (may sign in)"),
    "staff.row_actions": Message("Việc cần làm", "Actions"),
    "staff.saved": Message("Đã lưu.", "Saved."),
    "staff.failed": Message("Không thực hiện được: {message}", "Not done: {message}"),
    "staff.ticket_number": Message("Số phiếu", "Ticket number"),
    "staff.cancel_ticket": Message("Hủy số", "Cancel the ticket"),
    "staff.return_ticket": Message("Gọi lại số vắng", "Return a no-show"),
    "staff.by_number_title": Message("Sửa một số", "Correct one ticket"),
    "staff.ticket_done": Message("Số {number}: {status}", "Ticket {number}: {status}"),
    "staff.counters_title": Message("Các quầy hôm nay", "The counters today"),
    "staff.counter": Message("Quầy", "Counter"),
    "staff.fields_today": Message("Lĩnh vực hôm nay", "Fields today"),
    "staff.fields_hint": Message(
        "Mã lĩnh vực theo thứ tự gọi, cách nhau bằng dấu phẩy",
        "Field codes in calling order, comma-separated",
    ),
    "staff.policy": Message("Cách gọi", "Calling order"),
    "staff.policy.field_order": Message("Theo thứ tự lĩnh vực", "By field order"),
    "staff.policy.oldest_first": Message("Ai đến trước gọi trước", "Oldest first"),
    "staff.change_fields": Message("Đổi lĩnh vực hôm nay", "Change today's fields"),
    "staff.force_close": Message("Đóng quầy", "Close the counter"),
    # What an audit row's before/after keys are, in words.
    "staff.key.active": Message("Hoạt động", "Active"),
    "staff.key.locked": Message("Bị khóa", "Locked"),
    "staff.key.failed_logins": Message("Số lần nhập sai mật khẩu", "Wrong passwords"),
    "staff.key.password": Message("Mật khẩu", "Password"),
    "staff.key.number": Message("Số", "Number"),
    "staff.key.service": Message("Lĩnh vực", "Field"),
    "staff.key.status": Message("Tình trạng số", "Ticket status"),
    "staff.key.clerk": Message("Cán bộ tại quầy", "Clerk at the counter"),
    "staff.key.ticket": Message("Số đang giữ", "Ticket held"),
    "staff.yes": Message("có", "yes"),
    "staff.no": Message("không", "no"),
    "staff.password_reset": Message("đã đặt lại", "reset"),
    "staff.force_close_confirm": Message(
        "Đóng quầy số {n}? Số đang gọi sẽ trở lại hàng chờ, số đang phục vụ được ghi là hoàn "
        "thành.",
        "Close counter {n}? A called ticket goes back to the queue, one being served is "
        "recorded as completed.",
    ),
    # -- command line -------------------------------------------------------------------
    "cli.config_error": Message("lỗi cấu hình", "configuration error"),
    "cli.demo_accounts": Message("Tài khoản demo", "demo accounts"),
    "cli.demo_accounts_left": Message(
        "cơ sở dữ liệu còn tài khoản của bản demo ({names}), với mật khẩu đã in ra màn hình. "
        "Máy chủ của trung tâm không khởi động khi chúng còn đăng nhập được: khóa từng tài "
        "khoản bằng «motcua user lock TÊN», hoặc dùng một cơ sở dữ liệu mới.",
        "the database holds the demo's accounts ({names}), whose passwords were printed. A "
        "centre's server does not start while they can sign in: lock each with "
        "`motcua user lock NAME`, or use a fresh database.",
    ),
    "cli.demo_local": Message(
        "Bản demo: chỉ máy này vào được; ai dùng máy này đều bấm được bàn phím mô phỏng ở "
        "/demo/devices (gọi số, tạm dừng quầy) mà không cần đăng nhập.",
        "Demo: only this computer can reach it; anyone using it can press the simulated "
        "keypads at /demo/devices (call tickets, pause counters) without signing in.",
    ),
    "cli.demo_public": Message(
        "Bản demo công khai: bất kỳ ai vào được {url} đều bấm được bàn phím mô phỏng "
        "(gọi số, tạm dừng quầy) mà không cần đăng nhập.",
        "Public demo: anyone who can reach {url} can press the simulated keypads "
        "(call tickets, pause counters) without signing in.",
    ),
    "cli.demo_locked": Message(
        "Bản demo: bàn phím mô phỏng bị khóa vì máy chủ nghe trên {host}; đặt "
        "MOTCUA_PUBLIC_DEMO=1 để mở cho mọi người.",
        "Demo: the simulated keypads are locked because the server listens on {host}; set "
        "MOTCUA_PUBLIC_DEMO=1 to open them to everyone.",
    ),
    "cli.no_public_url": Message(
        "Chưa đặt public_url: mã QR trên phiếu trỏ tới {url}, màn hình dùng liên kết tương đối. "
        "Đặt MOTCUA_PUBLIC_URL nếu điện thoại của người dân không vào được địa chỉ này.",
        "public_url is not set: QR codes on slips link to {url}, screens use relative links. "
        "Set MOTCUA_PUBLIC_URL if citizens' phones cannot reach that address.",
    ),
    # Where the slips' QR codes lead (motcua run, motcua config public-url).
    "cli.status_page": Message(
        "Trang trạng thái phiếu (mã QR trên phiếu)", "ticket status page (QR codes on slips)"
    ),
    "cli.qr_public": Message(
        "Đã đặt public_url: mã QR dẫn tới {url}; điện thoại mở được ở bất cứ đâu vào được "
        "địa chỉ này.",
        "public_url is set: QR codes lead to {url}; phones open them wherever they can reach "
        "that address.",
    ),
    "cli.qr_local": Message(
        "Chưa đặt public_url: mã QR dẫn tới {url}, chỉ mở được trong mạng nội bộ của trung "
        "tâm (ví dụ Wi-Fi của trung tâm); điện thoại dùng 4G/5G không mở được.",
        "public_url is not set: QR codes lead to {url}, which opens only inside the centre's "
        "network (e.g. its Wi-Fi); a phone on mobile data cannot open it.",
    ),
    "cli.qr_loopback": Message(
        "Chưa đặt public_url và máy chủ chỉ nghe trên {host}: mã QR dẫn tới {url}, không điện "
        "thoại nào mở được.",
        "public_url is not set and the server listens on {host} only: QR codes lead to {url}, "
        "which no phone can open.",
    ),
    "cli.public_url_how": Message(
        "Để công dân mở trang trạng thái từ điện thoại: đặt public_url (ví dụ "
        "https://hcc.example.gov.vn/) bằng «motcua config public-url URL --config TỆP», "
        "trong bảng [server] của tệp cấu hình, hoặc biến môi trường MOTCUA_PUBLIC_URL. "
        "Xem README, mục «The ticket status page and its QR code».",
        "For citizens to open the status page on their phones: set public_url (e.g. "
        "https://hcc.example.gov.vn/) with `motcua config public-url URL --config FILE`, in "
        "the [server] table of the centre file, or with MOTCUA_PUBLIC_URL. See the README, "
        '"The ticket status page and its QR code".',
    ),
    "cli.public_url_ask": Message(
        "Địa chỉ công khai của trang trạng thái phiếu (public_url, ví dụ "
        "https://hcc.example.gov.vn/); Enter để bỏ qua",
        "Public address of the ticket status page (public_url, e.g. "
        "https://hcc.example.gov.vn/); Enter to skip",
    ),
    "cli.public_url_set": Message(
        "Đã ghi public_url = {url} vào {file}.", "Wrote public_url = {url} to {file}."
    ),
    "cli.public_url_env": Message(
        "Bản trình diễn không có tệp cấu hình: đặt biến môi trường MOTCUA_PUBLIC_URL={url} "
        "trước khi chạy «motcua run».",
        "The demo has no centre file: set MOTCUA_PUBLIC_URL={url} before `motcua run`.",
    ),
    "cli.public_url_invalid": Message(
        "Địa chỉ {url} không hợp lệ: cần dạng http://TÊN[:CỔNG]/ hoặc https://TÊN/.",
        "{url} is not valid: use http://HOST[:PORT]/ or https://HOST/.",
    ),
    "cli.public_url_skipped": Message(
        "Bỏ qua: có thể đặt public_url sau.", "Skipped: public_url can be set later."
    ),
}

PAGE_LABEL_PREFIXES = ("label.", "status.", "counter_state.")
PAGE_LABELS: dict[str, Message] = {
    code: m for code, m in MESSAGES.items() if code.startswith(PAGE_LABEL_PREFIXES)
}
"""What the pages' generated JS module holds: shared labels, ticket statuses, counter states."""

LANGS = ("vi", "en")


def render(code: str, /, **params: object) -> tuple[str, str]:
    """The (Vietnamese, English) texts of a code; KeyError for an unknown code."""
    return MESSAGES[code].render(**params)


def wire_code(code: str) -> str:
    """The code clients see for a catalogue entry (a variant's shared code, else its own)."""
    return MESSAGES[code].code or code


def placeholders(template: str) -> frozenset[str]:
    """The names of a template's {placeholders}."""
    return frozenset(name for _, name, _, _ in Formatter().parse(template) if name is not None)


def page_labels(lang: str) -> dict[str, str]:
    """{code: text} of PAGE_LABELS in one language ("vi" or "en"), placeholders left as {n}."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return {code: getattr(m, lang) for code, m in PAGE_LABELS.items()}


__all__ = [
    "MESSAGES",
    "PAGE_LABELS",
    "ErrorKind",
    "Message",
    "page_labels",
    "placeholders",
    "render",
    "wire_code",
]
