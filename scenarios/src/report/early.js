(function () {
  'use strict';
  // Records every script error, rejected promise, blocked resource and
  // console.error on <html data-js-errors>, so a headless browser test can
  // read them from the DOM.
  var root = document.documentElement;
  var errors = [];
  function note(message) {
    errors.push(String(message));
    root.setAttribute('data-js-errors', errors.join(' | '));
  }
  window.addEventListener('error', function (e) {
    if (e && e.message) {
      note('error: ' + e.message + ' at ' + (e.filename || '') + ':' + (e.lineno || 0));
    } else {
      var t = e && e.target;
      note('failed to load ' + (t && (t.src || t.href || t.tagName) || 'a resource'));
    }
  }, true);
  window.addEventListener('unhandledrejection', function (e) { note('unhandled rejection: ' + (e && e.reason)); });
  document.addEventListener('securitypolicyviolation', function (e) {
    note('content security policy blocked ' + e.violatedDirective + ' ' + (e.blockedURI || ''));
  });
  var consoleError = console.error;
  console.error = function () {
    note('console.error: ' + Array.prototype.join.call(arguments, ' '));
    return consoleError.apply(console, arguments);
  };
})();
