/* The report page: the print button, and charts redrawn at the A4 column widths before any
   print (the button or Ctrl+P), whatever the window's width, then restored. Plotly draws at the
   width it had on screen, so without this a narrow window prints squeezed charts and a wide
   one prints cut charts. A file in assets/, not an inline script, so that the
   Content-Security-Policy needs no hash for it. */
(function () {
  var PRINTING = "ioc-printing-a4";

  function reportPlots() {
    return Array.prototype.slice.call(document.querySelectorAll(".weekly-report .js-plotly-plot"));
  }

  function fitPlotsToA4() {
    if (!window.Plotly) { return; }
    document.documentElement.classList.add(PRINTING);  /* report.css: the A4 column widths */
    reportPlots().forEach(function (plot) {
      var width = Math.floor(plot.parentElement.getBoundingClientRect().width);
      if (width > 0) { window.Plotly.relayout(plot, { width: width }); }
    });
  }

  function restorePlots() {
    if (!document.documentElement.classList.contains(PRINTING)) { return; }
    document.documentElement.classList.remove(PRINTING);
    if (!window.Plotly) { return; }
    reportPlots().forEach(function (plot) {
      window.Plotly.relayout(plot, { width: null, autosize: true });
    });
  }

  window.addEventListener("beforeprint", fitPlotsToA4);
  window.addEventListener("afterprint", restorePlots);

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    ioc_report: {
      print: function (n) {
        if (n) { window.print(); }
        return "";
      },
    },
  });
})();
