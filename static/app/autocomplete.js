// Each select marked app-autocomplete (the local authorities, 318 of them) becomes GOV.UK's
// accessible autocomplete: type a few letters instead of scrolling. The select stays in the
// form, hidden, and is what is submitted, so without JavaScript it simply works as a select.
document.querySelectorAll('select.app-autocomplete').forEach(function (select) {
  window.accessibleAutocomplete.enhanceSelectElement({
    selectElement: select,
    defaultValue: '',
    showAllValues: true,
    // Autoselect draws a second, unlabelled input behind the first (the typed-ahead hint),
    // which axe rightly reports; without it the first match is still one arrow key away.
    autoselect: false,
    tNoResults: function () { return 'No local authority found' }
  })
})
