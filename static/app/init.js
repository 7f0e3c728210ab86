import { initAll } from '../govuk-frontend/dist/govuk/govuk-frontend.min.js'

initAll()
