// Plotly's Vietnamese locale, served from here rather than a CDN (the IOC network may be
// offline). Day and month names for axes and hovers, and the separators of Vietnamese numbers:
// a decimal comma and a dot between thousands. Selected per chart by config.locale "vi" (set
// globally by assets/locale.js from the language toggle).
(function () {
  var locale = {
    moduleType: "locale",
    name: "vi",
    dictionary: {
      "Autoscale": "Tự động co giãn",
      "Box Select": "Chọn vùng hình chữ nhật",
      "Click to enter Colorscale title": "Nhấn để nhập tiêu đề thang màu",
      "Click to enter Component A title": "Nhấn để nhập tiêu đề thành phần A",
      "Click to enter Component B title": "Nhấn để nhập tiêu đề thành phần B",
      "Click to enter Component C title": "Nhấn để nhập tiêu đề thành phần C",
      "Click to enter Plot title": "Nhấn để nhập tiêu đề biểu đồ",
      "Click to enter X axis title": "Nhấn để nhập tiêu đề trục X",
      "Click to enter Y axis title": "Nhấn để nhập tiêu đề trục Y",
      "Click to enter radial axis title": "Nhấn để nhập tiêu đề trục bán kính",
      "Compare data on hover": "So sánh dữ liệu khi di chuột",
      "Double-click on legend to isolate one trace": "Nhấn đúp vào chú giải để chỉ xem một đường",
      "Double-click to zoom back out": "Nhấn đúp để thu nhỏ lại",
      "Download plot": "Tải biểu đồ",
      "Download plot as a png": "Tải biểu đồ dạng PNG",
      "Edit in Chart Studio": "Sửa trong Chart Studio",
      "IE only supports svg.  Changing format to svg.": "IE chỉ hỗ trợ SVG. Chuyển sang định dạng SVG.",
      "Lasso Select": "Chọn vùng tự do",
      "Orbital rotation": "Xoay quỹ đạo",
      "Pan": "Kéo",
      "Produced with Plotly.js": "Tạo bằng Plotly.js",
      "Reset": "Đặt lại",
      "Reset axes": "Đặt lại các trục",
      "Reset camera to default": "Đặt lại góc nhìn mặc định",
      "Reset camera to last save": "Đặt lại góc nhìn đã lưu",
      "Reset view": "Đặt lại khung nhìn",
      "Reset views": "Đặt lại các khung nhìn",
      "Show closest data on hover": "Hiện dữ liệu gần nhất khi di chuột",
      "Snapshot succeeded": "Đã chụp biểu đồ",
      "Sorry, there was a problem downloading your snapshot!": "Xin lỗi, không tải được ảnh chụp biểu đồ!",
      "Taking snapshot - this may take a few seconds": "Đang chụp biểu đồ, có thể mất vài giây",
      "Toggle Spike Lines": "Bật/tắt đường gióng",
      "Toggle show closest data on hover": "Bật/tắt hiện dữ liệu gần nhất khi di chuột",
      "Turntable rotation": "Xoay bàn xoay",
      "Zoom": "Phóng to vùng chọn",
      "Zoom in": "Phóng to",
      "Zoom out": "Thu nhỏ",
      "close:": "đóng:",
      "trace": "đường",
      "lat:": "vĩ độ:",
      "lon:": "kinh độ:",
      "q1:": "q1:",
      "q3:": "q3:",
      "source:": "nguồn:",
      "target:": "đích:",
      "lower fence:": "rào dưới:",
      "upper fence:": "rào trên:",
      "max:": "lớn nhất:",
      "mean ± σ:": "trung bình ± σ:",
      "mean:": "trung bình:",
      "median:": "trung vị:",
      "min:": "nhỏ nhất:",
      "new text": "văn bản mới",
      "open:": "mở:",
      "high:": "cao:",
      "low:": "thấp:",
      "incoming flow count:": "số luồng vào:",
      "outgoing flow count:": "số luồng ra:",
      "kde:": "kde:"
    },
    format: {
      days: ["Chủ nhật", "Thứ hai", "Thứ ba", "Thứ tư", "Thứ năm", "Thứ sáu", "Thứ bảy"],
      shortDays: ["CN", "T2", "T3", "T4", "T5", "T6", "T7"],
      months: ["tháng 1", "tháng 2", "tháng 3", "tháng 4", "tháng 5", "tháng 6",
               "tháng 7", "tháng 8", "tháng 9", "tháng 10", "tháng 11", "tháng 12"],
      shortMonths: ["thg 1", "thg 2", "thg 3", "thg 4", "thg 5", "thg 6",
                    "thg 7", "thg 8", "thg 9", "thg 10", "thg 11", "thg 12"],
      date: "%d/%m/%Y",
      decimal: ",",
      thousands: "."
    }
  };
  if (typeof window.Plotly === "undefined") {
    // plotly.js registers window.PlotlyLocales when it loads after this file
    window.PlotlyLocales = window.PlotlyLocales || [];
    window.PlotlyLocales.push(locale);
  } else {
    window.Plotly.register(locale);
  }
})();
