/*
 * hubtypes-lab: on a hubtypes hub, JupyterLab warns a participant before their workshop
 * access ends (lockWarning, below) and, when their server has gone, says why.
 *
 * JupyterLab on JupyterHub answers a lost server with "Server unavailable or unreachable
 * ... Would you like to restart it?" (@jupyterlab/hub-extension:connectionlost). When the
 * server went because the participant's workshop access ended, restarting cannot work:
 * this plugin, which provides IConnectionLost in its place (package.json disables the
 * stock one), asks the stopped server's URL once. If the hub answers that the workshop
 * access has ended (hubtypes' login page: 424 with "hubtypes": "access-ended", see
 * hubtypes/auth/login_page.py), the tab goes to the hub's login page, which says so, when
 * the files are deleted and what to do. Any other answer gets the stock dialog, as before.
 *
 * Written by hand, no JavaScript build: this file is a module-federation container, the
 * interface JupyterLab's loader calls for a prebuilt extension (jupyterlab/staging/
 * bootstrap.js `loadComponent`: `init(shareScope)`; index.js `createModule`:
 * `get("./extension")` then the factory). It takes JupyterLab's own tokens and dialogs
 * from the share scope the application passes to `init`, so they are the very objects
 * JupyterLab's plugins use.
 */
var _JUPYTERLAB;
(function () {
  "use strict";

  var NAME = "hubtypes-lab";
  var shareScope = null;

  // A package JupyterLab shares (one version: its core packages are singletons).
  function shared(name) {
    var versions = shareScope && shareScope[name];
    if (!versions) {
      return Promise.reject(new Error(NAME + ": JupyterLab does not share " + name));
    }
    var keys = Object.keys(versions);
    var loaded = keys.filter(function (k) { return versions[k].loaded; });
    var key = loaded.length ? loaded[0] : keys[keys.length - 1];
    return Promise.resolve(versions[key].get()).then(function (factory) {
      return factory();
    });
  }

  // The hub's answer for this stopped server: the page to go to when the workshop access
  // has ended, else null (a network error, a server that is merely stopped, anything else).
  function accessEndedPage(baseUrl) {
    var url = baseUrl.replace(/\/?$/, "/") + "api/status";
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (response.status !== 424) { return null; }
        return response.json().then(function (body) {
          var next = body && body.hubtypes === "access-ended" ? String(body.next || "") : "";
          // a path on this hub only, never another site
          return /^\/(?!\/)/.test(next) ? next : null;
        });
      })
      .catch(function () { return null; });
  }

  function plugin(application, apputils, translation) {
    return {
      id: NAME + ":connectionlost",
      description:
        "Sends JupyterLab to the hub's page when the workshop access has ended; " +
        "otherwise the stock 'Server unavailable' dialog.",
      requires: [application.JupyterFrontEnd.IPaths, translation.ITranslator],
      optional: [application.JupyterLab.IInfo],
      provides: application.IConnectionLost,
      autoStart: true,
      activate: function (app, paths, translator, info) {
        var trans = translator.load("jupyterlab");
        var hubPrefix = paths.urls.hubPrefix || "";
        var baseUrl = paths.urls.base;
        if (!hubPrefix) {
          return application.ConnectionLost; // not on a hub: JupyterLab's own
        }
        var showing = false;
        return function (manager, err) {
          if (showing) { return Promise.resolve(); }
          showing = true;
          return accessEndedPage(baseUrl).then(function (page) {
            if (page) {
              window.location.assign((paths.urls.hubHost || "") + page);
              return; // leaving: no dialog, and no second answer
            }
            // the stock answer (@jupyterlab/hub-extension:connectionlost, JupyterLab 4)
            if (info) { info.isConnected = false; }
            return apputils.showDialog({
              title: trans.__("Server unavailable or unreachable"),
              body: trans.__(
                "Your server at %1 is not running.\nWould you like to restart it?", baseUrl
              ),
              buttons: [
                apputils.Dialog.okButton({ label: trans.__("Restart") }),
                apputils.Dialog.cancelButton({ label: trans.__("Dismiss") })
              ]
            }).then(function (result) {
              if (info) { info.isConnected = true; }
              showing = false;
              if (result.button.accept) {
                return app.commands.execute("hub:restart");
              }
            });
          });
        };
      }
    };
  }

  // The hub pages' lock warning, inside JupyterLab too: a participant working in a notebook
  // never sees the hub's home page. The dates are the ones the hub's pages show
  // (/hub/hubtypes/dates, hubtypes/auth/dates_api.py); asked at start, every 5 minutes, and
  // every minute in the last hour (an instructor may extend or shorten the access).
  function lockWarning(application, apputils) {
    return {
      id: NAME + ":lock-warning",
      description: "Warns a workshop participant in JupyterLab before their access ends.",
      requires: [application.JupyterFrontEnd.IPaths],
      autoStart: true,
      activate: function (app, paths) {
        var hubPrefix = paths.urls.hubPrefix || "";
        if (!hubPrefix || !apputils.Notification) { return; }
        var url = (paths.urls.hubHost || "") + hubPrefix.replace(/\/?$/, "/") + "hubtypes/dates";
        var shown = null; // the warning's notification id
        function check() {
          fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
            .then(function (response) { return response.ok ? response.json() : null; })
            .then(function (body) {
              var dates = body && body.dates;
              if (!dates) { return; } // not a participant, or the session ended: done
              if (dates.phase === "ending" && dates.warning) {
                if (shown === null) {
                  shown = apputils.Notification.warning(dates.warning, { autoClose: false });
                } else {
                  apputils.Notification.update({
                    id: shown, message: dates.warning, type: "warning", autoClose: false
                  });
                }
              } else if (shown !== null && dates.phase === "active") {
                apputils.Notification.dismiss(shown); // extended
                shown = null;
              }
              if (dates.ended) { return; }
              var soon = dates.minutes_left !== null && dates.minutes_left <= 60;
              window.setTimeout(check, (soon ? 1 : 5) * 60 * 1000);
            })
            .catch(function () { window.setTimeout(check, 5 * 60 * 1000); });
        }
        // after the layout is restored, when every plugin (the notification toasts among
        // them) is active: a notification sent earlier is kept but not shown as a toast,
        // so the warning waited for the next check (up to 5 minutes) to appear
        app.restored.then(check, check);
      }
    };
  }

  _JUPYTERLAB = _JUPYTERLAB || {};
  _JUPYTERLAB[NAME] = {
    init: function (scope) {
      shareScope = scope;
    },
    get: function (module) {
      if (module !== "./extension") {
        return Promise.reject(new Error(NAME + ': no module "' + module + '"'));
      }
      return Promise.all([
        shared("@jupyterlab/application"),
        shared("@jupyterlab/apputils"),
        shared("@jupyterlab/translation")
      ]).then(function (modules) {
        var plugins = [
          plugin(modules[0], modules[1], modules[2]),
          lockWarning(modules[0], modules[1])
        ];
        return function () {
          return { __esModule: true, default: plugins };
        };
      });
    }
  };
})();
