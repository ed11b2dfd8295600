// Vietnamese for Dash's date pickers (dcc.DatePickerSingle): a date-fns locale object, written
// here rather than loaded from a CDN (the IOC network may be offline). The picker looks its
// locale up in window.dateFns.locale; assets/locale.js offers it only while the page is in
// Vietnamese, so the calendar follows the app's language toggle, not the browser's.
(function () {
  var months = ["tháng 1", "tháng 2", "tháng 3", "tháng 4", "tháng 5", "tháng 6",
                "tháng 7", "tháng 8", "tháng 9", "tháng 10", "tháng 11", "tháng 12"];
  var shortMonths = ["Th1", "Th2", "Th3", "Th4", "Th5", "Th6", "Th7", "Th8", "Th9", "Th10", "Th11", "Th12"];
  var days = ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"];
  var shortDays = ["CN", "T2", "T3", "T4", "T5", "T6", "T7"];
  var pick = function (wide, short) {
    return function (index, options) {
      var width = options && options.width;
      return width === "wide" || !width ? wide[index] : short[index];
    };
  };
  // parse(): the longest name that starts the text wins ("tháng 10" before "tháng 1")
  var matcher = function (lists) {
    return function (text) {
      var best = null;
      lists.forEach(function (list) {
        list.forEach(function (name, index) {
          if (text.toLowerCase().indexOf(name.toLowerCase()) === 0 && (!best || name.length > best.length)) {
            best = {value: index, length: name.length};
          }
        });
      });
      return best ? {value: best.value, rest: text.slice(best.length)} : null;
    };
  };
  var number = function (text) {
    var found = /^\d+/.exec(text);
    return found ? {value: parseInt(found[0], 10), rest: text.slice(found[0].length)} : null;
  };
  var periods = {am: "SA", pm: "CH", midnight: "nửa đêm", noon: "trưa", morning: "sáng", afternoon: "chiều",
                 evening: "tối", night: "đêm"};
  var vi = {
    code: "vi",
    formatDistance: function (token, count) {
      var units = {xSeconds: "giây", xMinutes: "phút", xHours: "giờ", xDays: "ngày", xWeeks: "tuần",
                   xMonths: "tháng", xYears: "năm"};
      var unit = units[token.replace(/^(lessThan|about|over|almost)/, "x").replace(/^halfAMinute$/, "xSeconds")];
      return (token === "halfAMinute" ? 30 : count) + " " + (unit || "");
    },
    formatLong: {
      date: function () { return "dd/MM/y"; },
      time: function () { return "HH:mm:ss"; },
      dateTime: function () { return "{{date}} {{time}}"; },
    },
    formatRelative: function () { return "P"; },
    localize: {
      ordinalNumber: function (n) { return String(n); },
      era: pick(["Trước Công nguyên", "Công nguyên"], ["TCN", "CN"]),
      quarter: pick(["Quý 1", "Quý 2", "Quý 3", "Quý 4"], ["Q1", "Q2", "Q3", "Q4"]),
      month: pick(months, shortMonths),
      day: pick(days, shortDays),
      dayPeriod: function (period) { return periods[period] || period; },
    },
    match: {
      ordinalNumber: number,
      era: matcher([["TCN", "CN"]]),
      quarter: function (text) {
        var found = number(text.replace(/^(Quý|Q)\s*/i, ""));
        return found ? {value: found.value, rest: found.rest} : null;
      },
      month: matcher([months, shortMonths]),
      day: matcher([days, shortDays]),
      dayPeriod: matcher([["SA", "CH"]]),
    },
    options: {weekStartsOn: 1, firstWeekContainsDate: 1},
  };
  window.iocDateLocales = {vi: vi};
})();
