// Drill-down (issue 5): a click on a row of the systems grid opens that row's page inside the
// app, the way dcc.Link navigates (push the URL, tell Dash's location), without a reload.
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  ioc_drilldown: {
    openRow: function (cell) {
      if (!cell || !cell.rowId) {
        return window.dash_clientside.no_update;
      }
      var at = cell.rowId.indexOf(":");
      var base = {system: "/systems/", endpoint: "/endpoints/", link: "/links/"}[cell.rowId.slice(0, at)];
      if (!base) {
        return window.dash_clientside.no_update;
      }
      window.history.pushState({}, "", base + encodeURIComponent(cell.rowId.slice(at + 1)));
      window.dispatchEvent(new CustomEvent("_dashprivate_pushstate"));
      window.scrollTo(0, 0);
      return cell.rowId;
    },
  },
});

// Grid functions for dash-ag-grid: order the status column by severity (down first), not by name.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
dagfuncs.iocStatusComparator = function (valueA, valueB, nodeA, nodeB) {
  return nodeA.data.status_order - nodeB.data.status_order;
};
