// GOV.UK Frontend's body classes, set before the page paints (the GOV.UK template does this
// inline; a static file keeps the Content-Security-Policy free of inline script).
document.body.className +=
  ' js-enabled' + ('noModule' in HTMLScriptElement.prototype ? ' govuk-frontend-supported' : '')
