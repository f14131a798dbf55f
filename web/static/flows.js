// Draws each IVR flow on the flows page from its Mermaid text (web/static/vendor/mermaid.min.js).
// securityLevel "strict": labels are text only and diagrams cannot bind clicks, on top of the
// escaping done on the server (contactcenter.ivr.graph.mermaid_escape).
// A drawing first fits the page width (an overview); "Actual size" shows it full size, scrolling.
(function () {
  "use strict";
  var sources = document.querySelectorAll("figure.flow-graph pre.mermaid");
  if (!sources.length || !window.mermaid) {
    return; // without the library the Mermaid source stays readable as text
  }

  function toggleSize(section) {
    var figure = section.querySelector("figure.flow-graph");
    var svg = figure.querySelector("svg");
    var button = section.querySelector("button.graph-size");
    var actual = figure.classList.toggle("actual");
    svg.style.width = actual ? svg.viewBox.baseVal.width + "px" : "";
    button.textContent = actual ? "Fit to width" : "Actual size";
    if (actual) {
      figure.scrollLeft = (figure.scrollWidth - figure.clientWidth) / 2; // the start is centred
      figure.scrollTop = 0;
    }
    button.scrollIntoView({ block: "nearest" });
  }

  window.mermaid.initialize({
    startOnLoad: false,
    securityLevel: "strict",
    theme: "neutral",
    flowchart: { useMaxWidth: true, nodeSpacing: 30, rankSpacing: 40 },
  });
  window.mermaid.run({ nodes: sources }).then(function () {
    document.querySelectorAll("section.flow").forEach(function (section) {
      var button = section.querySelector("button.graph-size");
      if (button && section.querySelector("figure.flow-graph svg")) {
        button.hidden = false;
        button.addEventListener("click", function () { toggleSize(section); });
      }
    });
    document.body.dataset.flowsDrawn = "yes";
  }, function (err) {
    document.body.dataset.flowsDrawn = "failed";
    sources.forEach(function (pre) {
      if (!pre.querySelector("svg")) {
        pre.title = "The drawing failed: " + (err && err.message ? err.message : err);
      }
    });
  });
})();
