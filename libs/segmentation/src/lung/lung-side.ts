/** Values of the lung side map: 0 no lung, 1 patient right lung, 2 patient left lung. */
export const LUNG_SIDE_NONE = 0;
export const LUNG_SIDE_RIGHT = 1;
export const LUNG_SIDE_LEFT = 2;
