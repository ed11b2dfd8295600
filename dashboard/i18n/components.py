"""The text that components bring with them (AG Grid's pager and filter menus, the dropdowns'
search box and "2 selected"), in Vietnamese. English is the components' own default text, so the
English tables below are empty or short: a component falls back to its own word for a missing key.

Keys of AG Grid's locale: https://www.ag-grid.com/javascript-data-grid/localisation/ (the
`localeText` grid option); keys of Dash's Dropdown: its `labels` property."""
from __future__ import annotations

GRID_TEXT_VI: dict[str, str] = {
    # pager: "1 đến 50 trong 125", "Trang 1 / 3", page size selector
    "page": "Trang",
    "of": "trên",
    "to": "đến",
    "more": "thêm",
    "pageLastRowUnknown": "?",
    "firstPage": "Trang đầu",
    "previousPage": "Trang trước",
    "nextPage": "Trang sau",
    "lastPage": "Trang cuối",
    "pageSizeSelectorLabel": "Số dòng mỗi trang:",
    "ariaPageSizeSelectorLabel": "Số dòng mỗi trang",
    "thousandSeparator": ".",
    "decimalSeparator": ",",
    # overlays
    "loadingOoo": "Đang tải…",
    "loadingError": "LỖI",
    "noRowsToShow": "Không có dòng nào",
    "noMatchingRows": "Không có dòng nào khớp",
    # filter menus
    "filterOoo": "Lọc…",
    "empty": "Chọn một điều kiện",
    "equals": "Bằng",
    "notEqual": "Khác",
    "lessThan": "Nhỏ hơn",
    "greaterThan": "Lớn hơn",
    "lessThanOrEqual": "Nhỏ hơn hoặc bằng",
    "greaterThanOrEqual": "Lớn hơn hoặc bằng",
    "inRange": "Trong khoảng",
    "inRangeStart": "Từ",
    "inRangeEnd": "Đến",
    "contains": "Chứa",
    "notContains": "Không chứa",
    "startsWith": "Bắt đầu bằng",
    "endsWith": "Kết thúc bằng",
    "blank": "Trống",
    "notBlank": "Không trống",
    "before": "Trước",
    "after": "Sau",
    "andCondition": "VÀ",
    "orCondition": "HOẶC",
    "dateFormatOoo": "dd/mm/yyyy",
    "applyFilter": "Áp dụng",
    "clearFilter": "Xóa",
    "resetFilter": "Đặt lại",
    "cancelFilter": "Hủy",
    "textFilter": "Lọc văn bản",
    "numberFilter": "Lọc số",
    "dateFilter": "Lọc ngày",
    "setFilter": "Lọc theo giá trị",
    "blanks": "(Trống)",
    "searchOoo": "Tìm…",
    "selectAll": "(Chọn tất cả)",
    "selectAllSearchResults": "(Chọn tất cả kết quả tìm)",
    "noMatches": "Không khớp",
    "filterSummaryInactive": "là (Tất cả)",
    "filterSummaryContains": "chứa",
    "filterSummaryNotContains": "không chứa",
    "filterSummaryTextEquals": "bằng",
    "filterSummaryTextNotEqual": "khác",
    "filterSummaryStartsWith": "bắt đầu bằng",
    "filterSummaryEndsWith": "kết thúc bằng",
    "filterSummaryBlank": "trống",
    "filterSummaryNotBlank": "không trống",
    "filterSummaryInRange": "trong khoảng",
    "yesterday": "Hôm qua",
    "today": "Hôm nay",
    "tomorrow": "Ngày mai",
    "lastWeek": "Tuần trước",
    "thisWeek": "Tuần này",
    "nextWeek": "Tuần sau",
    "lastMonth": "Tháng trước",
    "thisMonth": "Tháng này",
    "nextMonth": "Tháng sau",
    "lastYear": "Năm trước",
    "thisYear": "Năm nay",
    "nextYear": "Năm sau",
    # column menu and header
    "columns": "Cột",
    "filters": "Bộ lọc",
    "pinColumn": "Ghim cột",
    "pinLeft": "Ghim bên trái",
    "pinRight": "Ghim bên phải",
    "noPin": "Bỏ ghim",
    "autosizeThisColumn": "Tự chỉnh độ rộng cột này",
    "autosizeAllColumns": "Tự chỉnh độ rộng mọi cột",
    "resetColumns": "Đặt lại các cột",
    "sortAscending": "Sắp xếp tăng dần",
    "sortDescending": "Sắp xếp giảm dần",
    "sortUnSort": "Bỏ sắp xếp",
    "columnFilter": "Lọc cột",
    "columnChooser": "Chọn cột",
    "chooseColumns": "Chọn cột",
    "hideColumn": "Ẩn cột",
    # what screen readers announce
    "ariaFilterMenuOpen": "Mở bộ lọc",
    "ariaLabelColumnFilter": "Lọc cột",
    "ariaLabelColumnMenu": "Menu cột",
    "ariaColumnFiltered": "Cột đang lọc",
    "ariaFilterInput": "Ô lọc",
    "ariaFilterValue": "Giá trị lọc",
    "ariaFilterFromValue": "Lọc từ giá trị",
    "ariaFilterToValue": "Lọc đến giá trị",
    "ariaFilteringOperator": "Toán tử lọc",
    "ariaDateFilterInput": "Ô lọc ngày",
    "ariaSortableColumn": "Nhấn ENTER để sắp xếp",
    "ariaMenuColumn": "Nhấn ALT + MŨI TÊN XUỐNG để mở menu cột",
    "ariaFilterColumn": "Nhấn CTRL + ENTER để mở bộ lọc",
    "ariaSearch": "Tìm",
    "ariaSearchFilterValues": "Tìm giá trị lọc",
    "ariaRowSelect": "Nhấn phím cách để chọn dòng này",
    "ariaHidden": "ẩn",
    "ariaVisible": "hiện",
    "ariaChecked": "đã chọn",
    "ariaUnchecked": "chưa chọn",
    "ariaIndeterminate": "chưa xác định",
    "ariaRowPageUp": "Lên một trang",
    "ariaRowPageDown": "Xuống một trang",
    "ariaAscending": "tăng dần",
    "ariaDescending": "giảm dần",
    "ariaSortingUnsorted": "chưa sắp xếp",
}

GRID_TEXT_EN: dict[str, str] = {
    # AG Grid's own English says "Page Size:"; the app's English names what is counted
    "pageSizeSelectorLabel": "Rows per page:",
    "ariaPageSizeSelectorLabel": "Rows per page",
    "noRowsToShow": "No rows to show",
    "dateFormatOoo": "dd/mm/yyyy",
}

DROPDOWN_LABELS: dict[str, dict[str, str]] = {
    "vi": {
        "select_all": "Chọn tất cả",
        "deselect_all": "Bỏ chọn tất cả",
        "selected_count": "Đã chọn {num_selected}",
        "search": "Tìm kiếm",
        "clear_search": "Xóa nội dung tìm",
        "clear_selection": "Bỏ chọn",
        "no_options_found": "Không có lựa chọn phù hợp",
    },
    "en": {
        "select_all": "Select all",
        "deselect_all": "Deselect all",
        "selected_count": "{num_selected} selected",
        "search": "Search",
        "clear_search": "Clear search",
        "clear_selection": "Clear selection",
        "no_options_found": "No options found",
    },
}


def grid_locale(lang: str | None) -> dict[str, str]:
    """AG Grid `localeText` for a language (a copy: grids may be given different ones)."""
    return dict(GRID_TEXT_EN if lang == "en" else GRID_TEXT_VI)


def dropdown_labels(lang: str | None) -> dict[str, str]:
    """dcc.Dropdown `labels` for a language."""
    return dict(DROPDOWN_LABELS["en" if lang == "en" else "vi"])
