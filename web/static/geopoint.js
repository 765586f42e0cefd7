// "Use my location" for geopoint questions: a progressive enhancement. Without this
// script (or without geolocation) the button stays hidden and the numbers are typed.
(function () {
  "use strict";
  if (!("geolocation" in navigator)) {
    return;
  }

  function reveal(root) {
    root.querySelectorAll("[data-geopoint] [data-geo-locate]").forEach(function (button) {
      button.hidden = false;
    });
  }

  function fill(fieldset, name, value) {
    var input = fieldset.querySelector('[data-geo="' + name + '"]');
    if (input && value !== null && value !== undefined && isFinite(value)) {
      input.value = String(Math.round(value * 1e6) / 1e6);
    }
  }

  function say(fieldset, key) {
    var status = fieldset.querySelector("[data-geo-status]");
    if (status) {
      status.textContent = key ? status.getAttribute("data-" + key) || "" : "";
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-geo-locate]") : null;
    if (!button) {
      return;
    }
    var fieldset = button.closest("[data-geopoint]");
    if (!fieldset) {
      return;
    }
    event.preventDefault();
    button.disabled = true;
    say(fieldset, "busy");
    navigator.geolocation.getCurrentPosition(
      function (position) {
        var c = position.coords;
        fill(fieldset, "latitude", c.latitude);
        fill(fieldset, "longitude", c.longitude);
        // The answer is positional ("lat lon alt acc"): without an altitude, ODK Collect
        // writes 0 so the accuracy keeps its place; do the same.
        var hasAltitude = c.altitude !== null && c.altitude !== undefined;
        fill(fieldset, "altitude", hasAltitude ? c.altitude : 0);
        fill(fieldset, "accuracy", c.accuracy);
        button.disabled = false;
        say(fieldset, "found");
        // Let the page save the answer as if it had been typed (htmx listens to "change").
        var latitude = fieldset.querySelector('[data-geo="latitude"]');
        if (latitude) {
          latitude.dispatchEvent(new Event("change", { bubbles: true }));
        }
      },
      function () {
        button.disabled = false;
        say(fieldset, "failed");
      },
      { enableHighAccuracy: true, timeout: 20000, maximumAge: 60000 }
    );
  });

  document.addEventListener("DOMContentLoaded", function () {
    reveal(document);
  });
  // htmx redraws the questions when an answer changes skip logic.
  document.addEventListener("htmx:afterSettle", function (event) {
    reveal(event.target || document);
  });
  if (document.readyState !== "loading") {
    reveal(document);
  }
})();
