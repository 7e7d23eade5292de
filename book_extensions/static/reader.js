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
