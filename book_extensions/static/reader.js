/* Reader features of the web book (book_extensions/reader.py). */
"use strict";

/* On narrow screens the theme shows the navigation and the page's contents in a drawer (a modal
   <dialog>). Following a link to a place on the same page leaves the drawer over the text: close
   it, so that the reader sees where the link led. */
document.addEventListener("click", (event) => {
  const link = event.target.closest("dialog[open] a[href]");
  if (link) {
    const drawer = link.closest("dialog");
    setTimeout(() => drawer.close());
  }
});

/* Figures: a tap or a click opens the figure full size. Each figure's image is a link to its file
   (which opens it where scripts do not run); here the link opens a viewer over the page, in which
   the figure is drawn at least 50rem wide and scrolls, so that its labels are legible on a
   phone. The viewer closes with its button, Escape, or a click beside the figure. */
function figureViewer() {
  let viewer = document.getElementById("figure-viewer");
  if (viewer) {
    return viewer;
  }
  viewer = document.createElement("dialog");
  viewer.id = "figure-viewer";
  viewer.className = "figure-viewer";
  viewer.setAttribute("aria-label", "Figure, full size");
  const close = document.createElement("button");
  close.type = "button";
  close.className = "figure-viewer__close";
  close.textContent = "Close";
  close.addEventListener("click", () => viewer.close());
  const frame = document.createElement("div");
  frame.className = "figure-viewer__frame";
  frame.append(document.createElement("img"));
  viewer.append(close, frame);
  viewer.addEventListener("click", (event) => {
    if (event.target === viewer || event.target === frame) {
      viewer.close();
    }
  });
  document.body.append(viewer);
  return viewer;
}

document.addEventListener("DOMContentLoaded", () => {
  for (const image of document.querySelectorAll("article.bd-article figure img")) {
    if (image.closest("a")) {
      continue;
    }
    const link = document.createElement("a");
    link.href = image.getAttribute("src");
    link.className = "figure-full-size";
    link.title = "Open the figure full size";
    image.replaceWith(link);
    link.append(image);
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const viewer = figureViewer();
      const shown = viewer.querySelector("img");
      shown.src = image.currentSrc || image.src;
      shown.alt = image.alt;
      viewer.showModal();
      viewer.querySelector(".figure-viewer__frame").scrollTo(0, 0);
    });
  }
});

/* Numbers from data/ (book_extensions/quantities.py): hovering over, focusing or tapping one
   shows its origin, which the page holds hidden after it and screen readers read as the
   number's description. The box opens inside the paragraph, so that the keyboard reaches its
   links; Escape closes it. */
document.addEventListener("DOMContentLoaded", () => {
  if (typeof tippy !== "function") {
    return;
  }
  const shown = [];
  for (const number of document.querySelectorAll(".quantity[data-origin]")) {
    const origin = document.getElementById(number.dataset.origin);
    if (!origin) {
      continue;
    }
    shown.push(tippy(number, {
      content: () => {
        const box = document.createElement("div");
        box.className = "quantity-origin-box";
        box.append(...Array.from(origin.childNodes, (node) => node.cloneNode(true)));
        return box;
      },
      trigger: "mouseenter focus click",
      interactive: true,
      appendTo: (reference) => reference.parentNode,
      placement: "top",
      maxWidth: 420,
      aria: {content: null, expanded: false},
    }));
  }
  document.addEventListener("keydown", (event) => {
    if (event.key === "Escape") {
      shown.forEach((instance) => instance.hide());
    }
  });
});
