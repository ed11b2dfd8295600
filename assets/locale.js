// The reader's language, applied where the server cannot reach: <html lang> (screen readers
// pronounce the page in it), a cookie (the server builds the next page's grid pager, dropdowns
// and date pickers in it: dashboard/web/facade.py page_language) and Plotly's locale (month and
// day names, decimal comma; assets/plotly-locale-vi.js) for every chart drawn from now on.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  ioc_locale: {
    apply: function (lang) {
      var language = lang === "en" ? "en" : "vi";
      document.documentElement.lang = language;
      document.cookie = "ioc_lang=" + language + "; path=/; max-age=31536000; SameSite=Lax";
      // Date pickers take the first locale of window.dateFns.locale that the browser's languages
      // name, else the first one: offering Vietnamese only in Vietnamese follows the toggle.
      window.dateFns = window.dateFns || {};
      window.dateFns.locale = language === "vi" && window.iocDateLocales ? {vi: window.iocDateLocales.vi} : {};
      if (window.Plotly && window.Plotly.setPlotConfig) {
        window.Plotly.setPlotConfig({locale: language});
      }
      return language;
    },
  },
});
