/* Weekly report (issue 6): the print button. A file in assets/, not an inline script, so that
   the Content-Security-Policy needs no hash for it. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  ioc_report: {
    print: function (n) {
      if (n) { window.print(); }
      return "";
    },
  },
});
