// Screen pop: the customer's churn risk with its top reasons, and up to three next-best offers,
// each with one-click "Offered / Accepted / Declined" filed against the call. Only the live
// call's pop (editable) gets the buttons; all text goes in through textContent.
(function () {
  "use strict";
  const RESPONSES = [["offered", "Offered"], ["accepted", "Accepted"], ["declined", "Declined"]];
  const BAND_NAMES = { high: "High", medium: "Medium", low: "Low" };

  function el(tag, content, className) {
    const e = document.createElement(tag);
    e.textContent = content === null || content === undefined ? "" : String(content);
    if (className) { e.className = className; }
    return e;
  }

  function riskLine(a) {
    if (!a || a.churn_risk === null || a.churn_risk === undefined) { return null; }
    const line = el("p", "", `churn-risk churn-${a.churn_band || "low"}`);
    line.append(el("strong", `Churn risk: ${BAND_NAMES[a.churn_band] || a.churn_band} (${Math.round(a.churn_risk * 100)} %)`));
    if (a.churn_reasons && a.churn_reasons.length) { line.append(el("span", ` — ${a.churn_reasons.join("; ")}`)); }
    return line;
  }

  function offerItem(pop, offer, editable) {
    const li = el("li", "", "next-offer");
    li.dataset.productId = String(offer.product_id);
    li.append(el("span", `${offer.name} (${offer.sku})`, "next-offer-name"));
    const state = el("span", offer.response ? ` — ${offer.response}` : "", "next-offer-response");
    if (editable) {
      const error = el("span", "", "flash error");
      error.hidden = true;
      RESPONSES.forEach(([value, label]) => {
        const button = el("button", label);
        button.type = "button";
        button.dataset.response = value;
        button.addEventListener("click", async () => {
          try {
            const done = await window.postJson(`/desktop/calls/${encodeURIComponent(pop.call_sid)}/offers`,
              { product_id: offer.product_id, response: value });
            offer.response = done.response;
            state.textContent = ` — ${done.response}`;
            error.hidden = true;
          } catch (err) { error.textContent = err.message; error.hidden = false; }
        });
        li.append(button);
      });
      li.append(state, error);
    } else { li.append(state); }
    return li;
  }

  function render(pop, editable) {
    const parts = [];
    const risk = riskLine(pop.customer && pop.customer.analytics);
    if (risk) { parts.push(risk); }
    const offers = (pop.customer && pop.customer.offers) || [];
    if (offers.length) {
      const list = el("ul", "", "next-offers");
      offers.forEach((offer) => list.append(offerItem(pop, offer, editable && Boolean(pop.call_sid))));
      parts.push(el("h4", "Next-best offers"), list);
    }
    return parts;
  }

  window.DesktopOffers = { render };
})();
