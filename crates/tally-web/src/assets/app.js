// Tally dashboard: progressive enhancement only. Every page works without this file; with
// it, the calculator quotes as you type and search boxes filter their tables at once.
(function () {
  'use strict';

  function setupCalculator(form) {
    var action = form.querySelector('#calc-action');
    var model = form.querySelector('#calc-model');
    var quality = form.querySelector('#calc-quality');
    var result = document.getElementById('calc-result');
    if (!action || !model || !result) return;
    var models = Array.prototype.map.call(model.options, function (option) {
      return option.cloneNode(true);
    });
    var timer = null;
    var sequence = 0;
    var controller = null;

    function filterModels() {
      var current = model.value;
      model.textContent = '';
      models.forEach(function (option) {
        if (option.getAttribute('data-action') === action.value) {
          model.appendChild(option.cloneNode(true));
        }
      });
      var kept = Array.prototype.some.call(model.options, function (option) {
        return option.value === current;
      });
      if (kept) model.value = current;
    }

    function showFields() {
      var option = model.options[model.selectedIndex];
      var fields = option ? (option.getAttribute('data-fields') || '').split(' ') : [];
      Array.prototype.forEach.call(form.querySelectorAll('[data-field]'), function (field) {
        field.hidden = fields.indexOf(field.getAttribute('data-field')) < 0;
      });
      if (!quality) return;
      var qualities = option ? (option.getAttribute('data-qualities') || '').split(' ') : [];
      var current = quality.value;
      quality.textContent = '';
      quality.appendChild(new Option('Card default', ''));
      qualities.filter(Boolean).forEach(function (name) {
        quality.appendChild(new Option(name, name));
      });
      quality.value = qualities.indexOf(current) >= 0 ? current : '';
    }

    function send() {
      var mine = ++sequence;
      if (controller) controller.abort();
      controller = new AbortController();
      result.setAttribute('aria-busy', 'true');
      fetch(form.getAttribute('data-quote-url'), {
        method: 'POST',
        body: new URLSearchParams(new FormData(form)),
        credentials: 'same-origin',
        signal: controller.signal
      }).then(function (response) {
        if (response.redirected && /\/sign-in$/.test(response.url)) {
          window.location.assign('/sign-in');
          return null;
        }
        return response.text();
      }).then(function (html) {
        if (html === null || mine !== sequence) return;
        result.innerHTML = html;
        result.removeAttribute('aria-busy');
      }).catch(function (error) {
        if (error && error.name === 'AbortError') return;
        if (mine !== sequence) return;
        result.removeAttribute('aria-busy');
        var message = document.createElement('p');
        message.className = 'notice error';
        message.textContent = 'The quote could not be updated. Check the connection and try again.';
        result.appendChild(message);
      });
    }

    function update() {
      window.clearTimeout(timer);
      timer = window.setTimeout(send, 150);
    }

    action.addEventListener('change', function () {
      filterModels();
      showFields();
      update();
    });
    model.addEventListener('change', function () {
      showFields();
      update();
    });
    form.addEventListener('input', function (event) {
      if (event.target !== action && event.target !== model) update();
    });
    form.addEventListener('submit', function (event) {
      event.preventDefault();
      window.clearTimeout(timer);
      send();
    });
    filterModels();
    showFields();
  }

  function setupFilter(input) {
    var table = document.getElementById(input.getAttribute('data-filter-table'));
    if (!table) return;
    input.addEventListener('input', function () {
      var needle = input.value.trim().toLowerCase();
      Array.prototype.forEach.call(table.querySelectorAll('tbody tr'), function (row) {
        row.hidden = needle !== '' && row.textContent.toLowerCase().indexOf(needle) < 0;
      });
    });
  }

  function start() {
    var calculator = document.getElementById('calc');
    if (calculator) setupCalculator(calculator);
    Array.prototype.forEach.call(document.querySelectorAll('input[data-filter-table]'), setupFilter);
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
