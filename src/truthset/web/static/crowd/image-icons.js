// Toolbar icons of the image annotation tools: 20x20 outline drawings in the current colour.

const svg = (body) =>
  `<svg viewBox="0 0 20 20" width="18" height="18" fill="none" stroke="currentColor"
        stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">${body}</svg>`;

export const ICONS = {
  zoomIn: svg(`<circle cx="8.5" cy="8.5" r="5.5"/><path d="M12.5 12.5 17 17M6 8.5h5M8.5 6v5"/>`),
  zoomOut: svg(`<circle cx="8.5" cy="8.5" r="5.5"/><path d="M12.5 12.5 17 17M6 8.5h5"/>`),
  fit: svg(`<path d="M3 7V3h4M13 3h4v4M17 13v4h-4M7 17H3v-4"/><rect x="6.5" y="6.5" width="7"
            height="7" rx="1"/>`),
  undo: svg(`<path d="M7 4 3 8l4 4"/><path d="M3 8h9a5 5 0 0 1 0 10H9"/>`),
  redo: svg(`<path d="m13 4 4 4-4 4"/><path d="M17 8H8a5 5 0 0 0 0 10h3"/>`),
  eye: svg(`<path d="M1.5 10S4.5 4 10 4s8.5 6 8.5 6-3 6-8.5 6-8.5-6-8.5-6z"/>
            <circle cx="10" cy="10" r="2.5"/>`),
  eyeOff: svg(`<path d="M1.5 10S4.5 4 10 4c1.6 0 3 .5 4.2 1.2M18.5 10s-3 6-8.5 6c-1.7
               0-3.1-.6-4.3-1.3"/><path d="M3 17 17 3"/>`),
  trash: svg(`<path d="M3.5 5.5h13M8 5.5V3.5h4v2M5.5 5.5l.8 11h7.4l.8-11M8.5 8.5v5M11.5 8.5v5"/>`),
  box: svg(`<rect x="3.5" y="5" width="13" height="10" rx="1"/>`),
  point: svg(`<circle cx="10" cy="10" r="3"/><path d="M10 2.5v3M10 14.5v3M2.5 10h3M14.5 10h3"/>`),
  polygon: svg(`<path d="M4 7.5 9.5 3 16.5 6.5 15 15.5 5.5 16z"/><circle cx="4" cy="7.5" r="1.2"
                fill="currentColor"/><circle cx="16.5" cy="6.5" r="1.2" fill="currentColor"/>`),
  brush: svg(`<path d="M16.5 3.5 9 11"/><path d="M8.8 11.2c-1.7-.4-3.3.6-3.6 2.3-.2 1.2-.9 2-2.2
              2.5 2.6 1.2 6.2.6 6.8-2.3"/>`),
  eraser: svg(`<path d="m7.5 16.5-4-4a1.4 1.4 0 0 1 0-2l7-7a1.4 1.4 0 0 1 2 0l4 4a1.4 1.4 0 0 1 0
               2l-7 7z"/><path d="M7 7l6 6M7.5 16.5H17"/>`),
};
